using Pliant.Plugins.Host;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Support;

/// <summary>
/// A connection environment without a connection: a real operation table (so result bounds and the fault
/// policy apply as on a connection), and recorded fields, frames, timers, events and closes.
/// </summary>
internal sealed class FakeSite : IConnectionEnvironment
{
    public FakeSite() => Operations.MaxDatagramSize = () => Fields.TryGetValue(ConnectionField.MaxDatagramSize, out var m) && m > 0 ? (int)m : 1200;

    public OperationTable Operations { get; } = new();
    public long NowUs { get; set; } = 1_000;
    public Dictionary<ConnectionField, ulong> Fields { get; } = [];
    public Dictionary<ulong, PluginFrame> Frames { get; } = [];
    public List<(string Id, string Message)> Events { get; } = [];
    public Dictionary<long, (long At, Action<long, long> Cb)> Timers { get; } = [];
    private long _nextTimer = 1;

    public ulong GetField(ConnectionField field) => Fields.GetValueOrDefault(field);
    public bool TrySetField(ConnectionField field, ulong value) { Fields[field] = value; return true; }

    public void RegisterFrameExtension(IFrameExtension extension) => Frames.Add(extension.FrameType, (PluginFrame)extension);
    public bool UnregisterFrameExtension(ulong frameType) => Frames.Remove(frameType);
    public long ScheduleTimer(long atUs, Action<long, long> callback) { Timers[_nextTimer] = (atUs, callback); return _nextTimer++; }
    public bool CancelTimer(long id) => Timers.Remove(id);
    public void RaisePluginEvent(string pluginId, string message) => Events.Add((pluginId, message));
    public bool SendDatagram(ReadOnlySpan<byte> data) => true;
    public bool PeerParametersKnown => true;
    public (ulong Code, string Reason)? Closed { get; private set; }
    public void CloseWithApplicationError(ulong errorCode, string reason) => Closed = (errorCode, reason);
    public IReadOnlyList<(ulong Id, byte[] Value)> PeerExtraTransportParameters { get; set; } = [];

    /// <summary>Invokes <paramref name="operation"/> through the table; returns the result.</summary>
    public ulong Fire(string operation, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong result = 0)
    {
        Assert.True(OperationCatalog.TryGet(operation, out var op), operation);
        return Operations.Invoke(op.Id, result, a0, a1, a2, a3);
    }
}
