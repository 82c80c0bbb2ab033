using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>Exchange logic against a fake connection (no QUIC core): push, trust, loss, limits.</summary>
public class PluginExchangeTests
{
    private static PluginExchangeOptions Pushing(params byte[][] modules)
    {
        var o = new PluginExchangeOptions();
        foreach (var m in modules) o.AddPush(m);
        return o;
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.2)]
    [InlineData(3, 0.5)]
    public void PushedTrustedModuleIsInjected(int seed, double loss)
    {
        var module = TestModules.Observer(padding: 50_000);
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var pair = new FakeExchangePair(seed, Pushing(module), receiver) { LossRate = loss };
        pair.Run();
        Assert.True(pair.Sender.PushesComplete);
        Assert.Equal(module, Assert.Single(pair.ReceiverConnection.Injected));
        var outcome = Assert.Single(pair.Receiver.Outcomes);
        Assert.True(outcome.Injected);
        Assert.Equal("test.observer", outcome.Reference.Id);
        Assert.Contains(pair.ReceiverConnection.Events, e => e.Id == "test.observer" && e.Message.StartsWith("injected test.observer@", StringComparison.Ordinal));
        if (loss > 0)
        {
            Assert.True(pair.PacketsLost > 0);
            Assert.True(pair.Sender.ChunksRetransmitted > 0);
        }
        if (loss == 0) Assert.Equal(module.Length, pair.Sender.BytesSent);
        else Assert.True(pair.Sender.BytesSent > module.Length);
    }

    [Fact]
    public void SameContentIsPushedOnce()
    {
        // An unsigned and a signed copy share the content hash: one push (the later copy), one injection.
        using var key = PluginSigner.CreateKey();
        var module = TestModules.Observer();
        var signed = PluginSigner.Sign(module, key);
        var sender = Pushing(module, signed);
        Assert.Same(signed, Assert.Single(sender.Push).Module);
        sender.Push.Add(new PushedPlugin(module)); // even when added behind AddPush's back
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().TrustKey(key) };
        var pair = new FakeExchangePair(16, sender, receiver);
        pair.Run();
        Assert.Equal(signed, Assert.Single(pair.ReceiverConnection.Injected));
        Assert.Single(pair.Sender.Pushing);
    }

    [Fact]
    public void InFlightIsLimited()
    {
        var module = TestModules.Observer(padding: 200_000);
        var sender = Pushing(module);
        sender.MaxInFlightBytes = 8 << 10;
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var pair = new FakeExchangePair(4, sender, receiver);
        var buf = new byte[1200];
        int frames = 0;
        while (pair.Sender.HasPending && pair.Sender.Write(buf, out _) > 0) frames++;
        Assert.InRange(frames * sender.MaxChunkSize, sender.MaxInFlightBytes, sender.MaxInFlightBytes + sender.MaxChunkSize);
        Assert.False(pair.Sender.HasPending);
    }

    [Fact]
    public void UntrustedModuleIsRefusedWithAnEvent()
    {
        var module = TestModules.Observer();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy() };
        var pair = new FakeExchangePair(5, Pushing(module), receiver);
        pair.Run();
        Assert.Empty(pair.ReceiverConnection.Injected);
        var e = Assert.Single(pair.ReceiverConnection.Events);
        Assert.Equal("test.observer", e.Id);
        Assert.Equal("refused: hash not allow-listed and module not signed", e.Message);
        Assert.True(pair.Sender.PushesComplete); // the transfer itself completed; the receiver just refused
    }

    [Fact]
    public void BadSignatureIsRefused()
    {
        using var signer = PluginSigner.CreateKey();
        using var trusted = PluginSigner.CreateKey();
        var module = PluginSigner.Sign(TestModules.Observer(), signer);
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().TrustKey(trusted) };
        var pair = new FakeExchangePair(6, Pushing(module), receiver);
        pair.Run();
        Assert.Empty(pair.ReceiverConnection.Injected);
        Assert.Equal("refused: hash not allow-listed and no valid signature by a trusted key", Assert.Single(pair.ReceiverConnection.Events).Message);
    }

    [Fact]
    public void SignedByTrustedKeyIsInjected()
    {
        using var signer = PluginSigner.CreateKey();
        var module = PluginSigner.Sign(TestModules.Observer(), signer);
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().TrustKey(signer) };
        var pair = new FakeExchangePair(7, Pushing(module), receiver);
        pair.Run();
        Assert.Single(pair.ReceiverConnection.Injected);
    }

    [Fact]
    public void DisallowedOperationIsRefused()
    {
        var module = TestModules.CcReplacer();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var pair = new FakeExchangePair(8, Pushing(module), receiver);
        pair.Run();
        Assert.Empty(pair.ReceiverConnection.Injected);
        Assert.Equal(("test.cc", "refused: operation cc.on_ack:replace is not allowed for a remote peer"), Assert.Single(pair.ReceiverConnection.Events));
    }

    [Fact]
    public void OversizeModuleIsRefusedBeforeReassembly()
    {
        var module = TestModules.Observer(padding: 300_000);
        var policy = new PluginTrustPolicy { MaxModuleSize = 100_000 }.AllowModule(module);
        var pair = new FakeExchangePair(9, Pushing(module), new PluginExchangeOptions { TrustPolicy = policy });
        // A sender that ignores the size the receiver advertised.
        pair.SenderConnection.PeerExtraTransportParameters = [(ExchangeWire.SupportedPluginsParameter, ExchangeWire.EncodeSupported(true, []))];
        pair.Run();
        Assert.True(pair.Sender.BytesSent < 2 * 1100 + module.Length); // frames after the refusal are consumed, not buffered
        Assert.Empty(pair.ReceiverConnection.Injected);
        var e = Assert.Single(pair.ReceiverConnection.Events);
        Assert.StartsWith("refused: module of ", e.Message, StringComparison.Ordinal);
        Assert.Contains("exceeds the 100000-byte limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SenderDoesNotPushMoreThanThePeerAccepts()
    {
        var module = TestModules.Observer(padding: 300_000);
        var policy = new PluginTrustPolicy { MaxModuleSize = 100_000 }.AllowModule(module);
        var pair = new FakeExchangePair(15, Pushing(module), new PluginExchangeOptions { TrustPolicy = policy });
        pair.Run();
        Assert.Equal(0, pair.PacketsSent);
        var e = Assert.Single(pair.SenderConnection.Events);
        Assert.Equal("test.observer", e.Id);
        Assert.Equal($"not pushed: {module.Length} bytes, the peer accepts at most 100000", e.Message);
        Assert.Empty(pair.ReceiverConnection.Events);
    }

    [Fact]
    public void FloodOfUnannouncedModulesIsAProtocolViolation()
    {
        var receiver = new PluginExchange(new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy() },
            new FakeConnection { PeerExtraTransportParameters = [] });
        var buf = new byte[200];
        var hash = new byte[32];
        for (int i = 0; i < ExchangeWire.MaxReferences; i++)
        {
            hash[0] = (byte)i;
            int n = new PluginFrame { Hash = hash, Offset = 0, TotalLength = 10, Data = new byte[10] }.Write(buf);
            receiver.Process(buf.AsSpan(4, n - 4), 0);
        }
        hash[0] = 0xff;
        int m = new PluginFrame { Hash = hash, Offset = 0, TotalLength = 10, Data = new byte[10] }.Write(buf);
        var e = Assert.Throws<QuicProtocolException>(() => receiver.Process(buf.AsSpan(4, m - 4), 0));
        Assert.Equal(TransportErrorCode.ProtocolViolation, e.ErrorCode);
        Assert.Equal(ExchangeWire.MaxReferences, receiver.Outcomes.Count);
    }

    [Fact]
    public void PeerWithoutTheParameterGetsNothing()
    {
        var module = TestModules.Observer();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var pair = new FakeExchangePair(10, Pushing(module), receiver, receiverIsPliant: false);
        Assert.False(pair.Sender.HasPending);
        pair.Run();
        Assert.Equal(0, pair.PacketsSent);
        Assert.False(pair.Sender.PeerAcceptsPushes);
        Assert.Empty(pair.Sender.Pushing);
    }

    [Fact]
    public void PeerThatDoesNotAcceptPushesGetsNothingAndFramesAreAViolation()
    {
        var module = TestModules.Observer();
        var pair = new FakeExchangePair(11, Pushing(module), new PluginExchangeOptions());
        Assert.False(pair.Sender.HasPending);
        // A peer that pushes anyway violates the protocol.
        var buf = new byte[1200];
        var rogue = new PluginExchange(Pushing(module), new FakeConnection
        {
            PeerExtraTransportParameters = [(ExchangeWire.SupportedPluginsParameter, ExchangeWire.EncodeSupported(true, []))],
        });
        int n = rogue.Write(buf, out _);
        var e = Assert.Throws<QuicProtocolException>(() => pair.Receiver.Process(buf.AsSpan(4, n - 4), 0));
        Assert.Equal(TransportErrorCode.ProtocolViolation, e.ErrorCode);
    }

    [Fact]
    public void NothingIsPushedBeforeTheHandshakeCompletes()
    {
        var module = TestModules.Observer();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var pair = new FakeExchangePair(12, Pushing(module), receiver);
        pair.SenderConnection.IsHandshakeComplete = false;
        Assert.False(pair.Sender.HasPending);
        pair.SenderConnection.IsHandshakeComplete = true;
        Assert.True(pair.Sender.HasPending);
    }

    [Fact]
    public void UnannouncedModuleIsRefused()
    {
        var announced = TestModules.Observer("a");
        var sneaky = TestModules.Observer("b");
        var policy = new PluginTrustPolicy().AllowModule(announced).AllowModule(sneaky);
        var receiverConn = new FakeConnection { PeerExtraTransportParameters = Pushing(announced).BuildTransportParameters() };
        var receiver = new PluginExchange(new PluginExchangeOptions { TrustPolicy = policy }, receiverConn);
        var sender = new PluginExchange(Pushing(sneaky), new FakeConnection
        {
            PeerExtraTransportParameters = [(ExchangeWire.SupportedPluginsParameter, ExchangeWire.EncodeSupported(true, []))],
        });
        var buf = new byte[4000];
        while (sender.HasPending)
        {
            int n = sender.Write(buf, out ulong t);
            receiver.Process(buf.AsSpan(4, n - 4), 0);
            sender.OnAcked(t);
        }
        Assert.Empty(receiverConn.Injected);
        var e = Assert.Single(receiverConn.Events);
        Assert.Equal("refused: not announced in the peer's plugins_for_you", e.Message);
        Assert.Equal(PluginReference.FromModule(sneaky).Sha256Hex[..16], e.Id); // the manifest was never read
        Assert.False(Assert.Single(receiver.Outcomes).Injected);
    }

    [Fact]
    public void CorruptedContentIsRefusedByHash()
    {
        var module = TestModules.Observer(padding: 3000);
        var policy = new PluginTrustPolicy().AllowModule(module);
        var receiverConn = new FakeConnection { PeerExtraTransportParameters = Pushing(module).BuildTransportParameters() };
        var receiver = new PluginExchange(new PluginExchangeOptions { TrustPolicy = policy }, receiverConn);
        var sender = new PluginExchange(Pushing(module), new FakeConnection
        {
            PeerExtraTransportParameters = [(ExchangeWire.SupportedPluginsParameter, ExchangeWire.EncodeSupported(true, []))],
        });
        var buf = new byte[1200];
        bool first = true;
        while (sender.HasPending)
        {
            int n = sender.Write(buf, out ulong t);
            if (first) { buf[n - 1] ^= 0xff; first = false; } // flip a data byte in the first chunk
            receiver.Process(buf.AsSpan(4, n - 4), 0);
            sender.OnAcked(t);
        }
        Assert.Empty(receiverConn.Injected);
        Assert.Equal("refused: content does not match the announced SHA-256", Assert.Single(receiverConn.Events).Message);
    }

    [Fact]
    public void ChangedTotalLengthIsAFrameEncodingError()
    {
        var module = TestModules.Observer(padding: 3000);
        var receiver = new PluginExchange(new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) },
            new FakeConnection { PeerExtraTransportParameters = Pushing(module).BuildTransportParameters() });
        byte[] hash = Convert.FromHexString(PluginReference.FromModule(module).Sha256Hex);
        var buf = new byte[200];
        int n = new PluginFrame { Hash = hash, Offset = 0, TotalLength = 5000, Data = new byte[100] }.Write(buf);
        receiver.Process(buf.AsSpan(4, n - 4), 0);
        n = new PluginFrame { Hash = hash, Offset = 100, TotalLength = 6000, Data = new byte[100] }.Write(buf);
        var e = Assert.Throws<QuicProtocolException>(() => receiver.Process(buf.AsSpan(4, n - 4), 0));
        Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode);
    }

    [Fact]
    public void CachedModuleIsNotSentButInjected()
    {
        var module = TestModules.Observer();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        receiver.Cache[PluginReference.FromModule(module).Sha256Hex] = module;
        var pair = new FakeExchangePair(13, Pushing(module), receiver);
        pair.Run();
        Assert.Equal(0, pair.PacketsSent);
        Assert.Single(pair.ReceiverConnection.Injected);
    }

    [Fact]
    public void AcceptedModuleIsRememberedForTheNextConnection()
    {
        var module = TestModules.Observer(padding: 10_000);
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var first = new FakeExchangePair(17, Pushing(module), receiver);
        first.Run();
        Assert.True(first.PacketsSent > 0);
        Assert.Single(receiver.Cache);
        // Next connection: the receiver announces it has the module, the sender sends nothing, it still runs.
        var second = new FakeExchangePair(18, Pushing(module), receiver);
        second.Run();
        Assert.Equal(0, second.PacketsSent);
        Assert.Equal(module, Assert.Single(second.ReceiverConnection.Injected));
        // Refused modules are not remembered, and remembering can be switched off.
        var other = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy(), RememberAccepted = true };
        new FakeExchangePair(19, Pushing(module), other).Run();
        Assert.Empty(other.Cache);
    }

    [Fact]
    public void HostLoadFailureIsARefusal()
    {
        var module = TestModules.Observer();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var pair = new FakeExchangePair(14, Pushing(module), receiver);
        pair.ReceiverConnection.InjectFails = _ => new InvalidOperationException("import pliant.nope not found");
        pair.Run();
        Assert.Equal("refused: could not load: import pliant.nope not found", Assert.Single(pair.ReceiverConnection.Events).Message);
    }
}
