using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>Seeded mutation fuzzing: peer input only ever fails as a QUIC error or a refusal, never as a crash.</summary>
public class ExchangeFuzzTests
{
    private static byte[] Mutate(byte[] input, Random rng)
    {
        var b = (byte[])input.Clone();
        int edits = 1 + rng.Next(4);
        for (int i = 0; i < edits; i++)
        {
            switch (rng.Next(3))
            {
                case 0: if (b.Length > 0) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: if (b.Length > 0) b[rng.Next(b.Length)] = (byte)rng.Next(256); break;
                default: if (b.Length > 1) Array.Resize(ref b, rng.Next(b.Length)); break;
            }
        }
        return b;
    }

    [Fact]
    public void MutatedPluginFramesFailCleanly()
    {
        var module = TestModules.Observer(padding: 2000);
        var reference = PluginReference.FromModule(module);
        var rng = new Random(1234);
        var buf = new byte[1500];
        var budget = new PluginTransferBudget(1 << 20);
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            var conn = new FakeConnection { PeerExtraTransportParameters = new PluginExchangeOptions().AddPush(module).BuildTransportParameters() };
            var receiver = new PluginExchange(new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module), TransferBudget = budget }, conn);
            int offset = rng.Next(module.Length - 1);
            int length = 1 + rng.Next(Math.Min(1000, module.Length - offset));
            int n = new PluginFrame
            {
                Hash = Convert.FromHexString(reference.Sha256Hex),
                Offset = (ulong)offset,
                TotalLength = (ulong)module.Length,
                Data = module.AsSpan(offset, length),
            }.Write(buf);
            var frame = Mutate(buf[4..n], rng);
            try
            {
                int consumed = receiver.Process(frame, 0);
                Assert.InRange(consumed, 1, frame.Length);
            }
            catch (QuicProtocolException e)
            {
                Assert.Contains(e.ErrorCode, new[] { TransportErrorCode.FrameEncodingError, TransportErrorCode.ProtocolViolation });
            }
            receiver.OnConnectionClosed(); // as its connection would, closing on the error or later
            Assert.Equal(0, budget.InUse);
        }
    }

    [Fact]
    public void MutatedTransportParametersFailCleanly()
    {
        var reference = PluginReference.FromModule(TestModules.Observer());
        var supported = ExchangeWire.EncodeSupported(true, [reference, reference], 1 << 20);
        var forYou = ExchangeWire.EncodePluginsForYou([reference]);
        var rng = new Random(99);
        for (int i = 0; i < 3000; i++)
        {
            try { ExchangeWire.DecodeSupported(Mutate(supported, rng)); }
            catch (QuicProtocolException e) { Assert.Equal(TransportErrorCode.TransportParameterError, e.ErrorCode); }
            try { ExchangeWire.DecodePluginsForYou(Mutate(forYou, rng)); }
            catch (QuicProtocolException e) { Assert.Equal(TransportErrorCode.TransportParameterError, e.ErrorCode); }
        }
    }

    [Fact]
    public void MutatedModulesAreDecidedNotThrown()
    {
        using var key = PluginSigner.CreateKey();
        var signed = PluginSigner.Sign(TestModules.Observer(), key);
        var policy = new PluginTrustPolicy().TrustKey(key);
        Assert.True(policy.Evaluate(signed, PluginOrigin.Peer).Allowed);
        var rng = new Random(7);
        int allowed = 0;
        for (int i = 0; i < 3000; i++)
        {
            var d = policy.Evaluate(Mutate(signed, rng), PluginOrigin.Peer);
            Assert.False(string.IsNullOrEmpty(d.Reason));
            if (d.Allowed) allowed++;
        }
        // A mutation may only keep the module trusted when it touched nothing signed (a byte of the signature section's JSON that still parses, say).
        Assert.True(allowed < 300, $"{allowed} mutated modules were allowed");
    }

    [Fact]
    public void MutatedPeerParametersDoNotBreakTheExchange()
    {
        // A malformed private parameter is reported and ignored: nothing pushed, no exception.
        var module = TestModules.Observer();
        var conn = new FakeConnection { PeerExtraTransportParameters = [(ExchangeWire.SupportedPluginsParameter, [0x01, 0x00, 0x05])] };
        var exchange = new PluginExchange(new PluginExchangeOptions().AddPush(module), conn);
        Assert.False(exchange.HasPending);
        Assert.StartsWith("ignored malformed transport parameter 0x50a1", Assert.Single(conn.Events).Message, StringComparison.Ordinal);
    }
}
