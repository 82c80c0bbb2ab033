using Pliant.Plugins.Abi;
using Pliant.Plugins.Host;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Support;

/// <summary>A connection site without a connection: records hooks, frames, timers and events.</summary>
internal sealed class FakeSite : IConnectionSite
{
    public long NowUs { get; set; } = 1_000;
    public Dictionary<int, ulong> Fields { get; } = [];
    public List<(string Op, string Anchor, OperationHandler Handler, string Owner)> Hooks { get; } = [];
    public Dictionary<ulong, PluginFrame> Frames { get; } = [];
    public List<(string Id, string Message)> Events { get; } = [];
    public Dictionary<long, (long At, Action<long, long> Cb)> Timers { get; } = [];
    private long _nextTimer = 1;

    public ulong GetField(int field) => Fields.GetValueOrDefault(field);
    public bool TrySetField(int field, ulong value) { Fields[field] = value; return true; }

    public IDisposable AttachOperation(string operation, string anchor, OperationHandler handler, string owner)
    {
        var entry = (operation, anchor, handler, owner);
        Hooks.Add(entry);
        return new Undo(() => Hooks.Remove(entry));
    }

    public void DetachOwner(string owner) => Hooks.RemoveAll(h => h.Owner == owner);
    public void RegisterFrame(PluginFrame frame) => Frames.Add(frame.FrameType, frame);
    public void UnregisterFrame(ulong frameType) => Frames.Remove(frameType);
    public long ScheduleTimer(long atUs, Action<long, long> callback) { Timers[_nextTimer] = (atUs, callback); return _nextTimer++; }
    public void CancelTimer(long id) => Timers.Remove(id);
    public void RaiseEvent(string pluginId, string message) => Events.Add((pluginId, message));
    public bool SendDatagram(ReadOnlySpan<byte> data) => true;
    public bool PeerParametersKnown => true;
    public (ulong Code, string Reason)? Closed { get; private set; }
    public void Close(ulong applicationErrorCode, string reason) => Closed = (applicationErrorCode, reason);
    public IReadOnlyList<(ulong Id, byte[] Value)> PeerTransportParameters { get; set; } = [];

    /// <summary>Invokes every hook on <paramref name="operation"/>; returns the result.</summary>
    public ulong Fire(string operation, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong result = 0)
    {
        var args = new OperationArgs { A0 = a0, A1 = a1, A2 = a2, A3 = a3, Result = result };
        foreach (var h in Hooks.Where(h => h.Op == operation).ToList()) h.Handler(ref args);
        return args.Result;
    }

    private sealed class Undo(Action a) : IDisposable
    {
        public void Dispose() => a();
    }
}
