using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic;
using Pliant.Quic.Wire;

namespace Pliant.Plugins.Tests.Exchange;

public class ExchangeWireTests
{
    private static readonly PluginReference Ref = PluginReference.FromModule(TestModules.Observer());

    [Fact]
    public void TransportParametersRoundTrip()
    {
        var supported = ExchangeWire.DecodeSupported(ExchangeWire.EncodeSupported(true, [Ref], 1 << 20));
        Assert.True(supported.AcceptsPushes);
        Assert.Equal(1UL << 20, supported.MaxModuleSize);
        Assert.Equal(Ref, Assert.Single(supported.Have));
        Assert.False(ExchangeWire.DecodeSupported(ExchangeWire.EncodeSupported(false, [])).AcceptsPushes);
        Assert.Equal(Ref, Assert.Single(ExchangeWire.DecodePluginsForYou(ExchangeWire.EncodePluginsForYou([Ref]))));
        Assert.Equal($"test.observer@{Ref.Sha256Hex}", Ref.ToString());
    }

    [Fact]
    public void MalformedTransportParametersAreTransportParameterErrors()
    {
        var good = ExchangeWire.EncodePluginsForYou([Ref]);
        var e = Assert.Throws<QuicProtocolException>(() => ExchangeWire.DecodePluginsForYou(good.AsSpan(0, good.Length - 1)));
        Assert.Equal(TransportErrorCode.TransportParameterError, e.ErrorCode);
        Assert.Throws<QuicProtocolException>(() => ExchangeWire.DecodePluginsForYou([.. good, 0]));
        Assert.Throws<QuicProtocolException>(() => ExchangeWire.DecodePluginsForYou([1, 3, (byte)'a', (byte)'@', (byte)'b']));
    }

    [Fact]
    public void FrameRoundTrip()
    {
        byte[] hash = Convert.FromHexString(Ref.Sha256Hex);
        byte[] data = TestModules.DeterministicBytes(300, 1);
        var buf = new byte[1500];
        int n = new PluginFrame { Hash = hash, Offset = 1000, TotalLength = 5000, Data = data }.Write(buf);
        Assert.Equal(PluginFrame.HeaderLength(1000, 5000, 300) + 300, n);
        Assert.True(VarInt.TryRead(buf, out ulong type, out int tl));
        Assert.Equal(ExchangeWire.PluginFrameType, type);
        Assert.Equal(4, tl);
        var f = PluginFrame.Read(buf.AsSpan(tl, n - tl + 10), out int consumed);
        Assert.Equal(n - tl, consumed);
        Assert.Equal(1000UL, f.Offset);
        Assert.Equal(5000UL, f.TotalLength);
        Assert.True(f.Data.SequenceEqual(data));
        Assert.True(f.Hash.SequenceEqual(hash));
    }

    [Theory]
    [InlineData(0UL, 10UL, 0, "empty chunk")]
    [InlineData(8UL, 10UL, 4, "past the module")]
    [InlineData(11UL, 10UL, 1, "past the module")]
    public void MalformedFramesAreFrameEncodingErrors(ulong offset, ulong total, int length, string what)
    {
        var buf = new byte[200];
        int pos = 32;
        pos += VarInt.Write(buf.AsSpan(pos), offset);
        pos += VarInt.Write(buf.AsSpan(pos), total);
        pos += VarInt.Write(buf.AsSpan(pos), (ulong)length);
        pos += length;
        var e = Assert.Throws<QuicProtocolException>(() => PluginFrame.Read(buf.AsSpan(0, pos), out _));
        Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode);
        Assert.Contains(what.Split(' ')[0], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedFrameIsAFrameEncodingError()
    {
        var buf = new byte[100];
        int n = new PluginFrame { Hash = new byte[32], Offset = 0, TotalLength = 50, Data = new byte[50] }.Write(buf);
        var e = Assert.Throws<QuicProtocolException>(() => PluginFrame.Read(buf.AsSpan(4, n - 5), out _));
        Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode);
        Assert.Throws<QuicProtocolException>(() => PluginFrame.Read(buf.AsSpan(4, 20), out _));
    }

    [Fact]
    public void ContentHashIgnoresSignatureSections()
    {
        var wasm = TestModules.Observer();
        var withJunkSignature = WasmSections.AppendCustomSection(wasm, WasmSections.SignatureSection, "{}"u8);
        Assert.Equal(PluginHash.Compute(wasm), PluginHash.Compute(withJunkSignature));
        var withOtherSection = WasmSections.AppendCustomSection(wasm, "other", "{}"u8);
        Assert.NotEqual(PluginHash.Compute(wasm), PluginHash.Compute(withOtherSection));
    }
}
