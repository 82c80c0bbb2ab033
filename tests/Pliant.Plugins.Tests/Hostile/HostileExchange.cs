using Pliant.Plugins.Exchange;
using Pliant.Plugins.Tests.Exchange;
using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Tests.Hostile;

/// <summary>
/// A receiving exchange on a fake connection and a hostile peer's PLUGIN frames: the peer announces
/// whatever hashes it likes in <c>plugins_for_you</c> and then sends chunks of its choosing.
/// </summary>
internal sealed class HostileExchange
{
    private readonly byte[] _frame = new byte[70_000];

    public HostileExchange(PluginExchangeOptions options, params (string Id, byte[] Hash)[] announced)
    {
        options.TrustPolicy ??= new PluginTrustPolicy();
        options.LoadInBackground = false;
        Options = options;
        var references = announced.Select(a => new PluginReference(a.Id, Convert.ToHexStringLower(a.Hash))).ToList();
        Connection = new FakeConnection { PeerExtraTransportParameters = [(ExchangeWire.PluginsForYouParameter, ExchangeWire.EncodePluginsForYou(references))] };
        Receiver = new PluginExchange(options, Connection);
    }

    public PluginExchangeOptions Options { get; }
    public FakeConnection Connection { get; }
    public PluginExchange Receiver { get; }

    /// <summary>Events raised on the receiving connection.</summary>
    public IEnumerable<string> Messages => Connection.Events.Select(e => e.Message);

    /// <summary>A deterministic fake content hash.</summary>
    public static byte[] Hash(int seed)
    {
        var h = new byte[32];
        new Random(seed).NextBytes(h);
        return h;
    }

    /// <summary>The content hash of a real module.</summary>
    public static byte[] HashOf(byte[] module) => PluginHash.Compute(module);

    /// <summary>Delivers one PLUGIN frame (the receiver's exceptions propagate).</summary>
    public void Send(byte[] hash, ulong offset, ulong total, ReadOnlySpan<byte> data, long nowUs = 0)
    {
        int n = new PluginFrame { Hash = hash, Offset = offset, TotalLength = total, Data = data }.Write(_frame);
        int typeLength = Pliant.Quic.Wire.VarInt.Length(ExchangeWire.PluginFrameType);
        int consumed = Receiver.Process(_frame.AsSpan(typeLength, n - typeLength), nowUs);
        if (consumed != n - typeLength) Assert.Fail($"consumed {consumed} of {n - typeLength} bytes"); // not Assert.Equal: it allocates per call

    }
}
