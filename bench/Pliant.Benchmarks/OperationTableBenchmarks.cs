using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Benchmarks;

/// <summary>
/// What the operation table costs per operation (issue 4: "with nothing attached, the table costs no
/// measurable goodput"): a native call made directly, behind the table's check with nothing attached,
/// and with a managed post hook attached. See <see cref="OperationTableSendAckBenchmarks"/> for the
/// send/ACK path.
/// </summary>
[MemoryDiagnoser]
public class OperationTableBenchmarks
{
    private const int Ops = 1000;
    private readonly OperationTable _empty = new();
    private readonly OperationTable _hooked = new();
    private ulong _observed;

    [GlobalSetup]
    public void Setup() =>
        _hooked.Attach(OperationNames.PacketAfterSend, Anchor.Post, (ref OperationArgs a) => _observed += a.A1, "bench");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong Native(ulong pn, ulong size) => _observed += pn ^ size;

    /// <summary>A native operation called directly, per call.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public ulong DirectCall()
    {
        for (ulong pn = 0; pn < Ops; pn++) Native(pn, 1452);
        return _observed;
    }

    /// <summary>The same call behind the table's check with nothing attached (what every connection runs), per call.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public ulong Unhooked()
    {
        var table = _empty;
        for (ulong pn = 0; pn < Ops; pn++)
        {
            if (table.IsHooked(OperationId.PacketAfterSend)) table.Invoke(OperationId.PacketAfterSend, 0, pn, 1452);
            Native(pn, 1452);
        }
        return _observed;
    }

    /// <summary>The same with a managed post hook attached: the table's dispatch to one delegate, per call.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public ulong ManagedHook()
    {
        var table = _hooked;
        for (ulong pn = 0; pn < Ops; pn++)
        {
            if (table.IsHooked(OperationId.PacketAfterSend)) table.Invoke(OperationId.PacketAfterSend, 0, pn, 1452);
            Native(pn, 1452);
        }
        return _observed;
    }
}

/// <summary>
/// 1000 packets sent and one ACK for all of them through <see cref="LossRecovery"/> (as in
/// <see cref="AckBenchmarks.SendAndAck"/>), per packet, with the table checks the connection makes
/// (<c>packet.after_send</c> per packet sent, <c>packet.on_acked</c> per packet acked, <c>rtt.update</c>
/// per ACK) against the same work without them, and with managed hooks attached.
/// </summary>
[MemoryDiagnoser]
public class OperationTableSendAckBenchmarks
{
    private const int Ops = 1000;

    /// <summary>How the send/ACK path meets the table.</summary>
    public enum TableMode
    {
        /// <summary>No table at all: only the recovery work.</summary>
        NoTable,
        /// <summary>The connection's checks, nothing attached (what every connection without plugins runs).</summary>
        Empty,
        /// <summary>A managed post hook on packet.after_send and packet.on_acked.</summary>
        ManagedObserver,
        /// <summary>A managed cc.window replacement: the connection runs the adapter congestion controller.</summary>
        ManagedWindow,
    }

    private readonly List<SentPacket> _acked = new(Ops);
    private readonly List<SentPacket> _lost = new(Ops);
    private readonly AckRange[] _range = new AckRange[1];
    private SentPacket[] _packets = null!;
    private OperationTable _table = null!;
    private ulong _nextPn;
    private ulong _observed;

    /// <summary>See <see cref="TableMode"/>.</summary>
    [Params(TableMode.NoTable, TableMode.Empty, TableMode.ManagedObserver, TableMode.ManagedWindow)]
    public TableMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _packets = new SentPacket[Ops];
        for (int i = 0; i < Ops; i++) _packets[i] = new SentPacket();
        _table = new OperationTable();
        if (Mode == TableMode.ManagedObserver)
        {
            _table.Attach(OperationNames.PacketAfterSend, Anchor.Post, (ref OperationArgs a) => _observed += a.A1, "bench");
            _table.Attach(OperationNames.PacketOnAcked, Anchor.Post, (ref OperationArgs a) => _observed++, "bench");
        }
        else if (Mode == TableMode.ManagedWindow)
        {
            _table.Attach(OperationNames.CcWindow, Anchor.Replace, (ref OperationArgs a) => { }, "bench");
        }
    }

    /// <summary>1000 packets sent, then one ACK for all of them; per packet, with the table per <see cref="Mode"/>.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public int SendAndAck()
    {
        bool table = Mode != TableMode.NoTable;
        ICongestionController cc = new Cubic(1452);
        if (Mode == TableMode.ManagedWindow) cc = new OperationCongestionController(cc, _table, () => 0, () => 0);
        var recovery = new LossRecovery(new RttEstimator(), cc) { HandshakeConfirmed = true, PeerCompletedAddressValidation = true };
        long now = 1_000_000;
        ulong basePn = _nextPn;
        for (int i = 0; i < Ops; i++)
        {
            var p = _packets[i];
            p.Reset();
            p.Space = PacketSpace.Application;
            p.PacketNumber = basePn + (ulong)i;
            p.TimeSentUs = now + i;
            p.Size = 1452;
            p.AckEliciting = true;
            p.InFlight = true;
            if (!cc.CanSend(p.Size)) _observed++;
            recovery.OnPacketSent(p, now + i);
            if (table && _table.IsHooked(OperationId.PacketAfterSend))
                _table.Invoke(OperationId.PacketAfterSend, 0, p.PacketNumber, (ulong)p.Size, (ulong)p.Space, 1);
        }
        _nextPn += Ops;
        _range[0] = new AckRange(basePn, basePn + Ops - 1);
        long samples = recovery.Rtt.SampleCount;
        recovery.OnAckReceived(PacketSpace.Application, _range, 1000, null, now + 20_000, _acked, _lost);
        if (table)
        {
            foreach (var p in _acked)
                if (_table.IsHooked(OperationId.PacketOnAcked))
                    _table.Invoke(OperationId.PacketOnAcked, 0, p.PacketNumber, (ulong)p.Size, (ulong)p.Space, (ulong)p.TimeSentUs);
            if (recovery.Rtt.SampleCount != samples && _table.IsHooked(OperationId.RttUpdate))
                _table.Invoke(OperationId.RttUpdate, 0, (ulong)recovery.Rtt.LatestRtt);
        }
        return _acked.Count + _lost.Count;
    }
}
