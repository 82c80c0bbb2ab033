using BenchmarkDotNet.Attributes;
using Pliant.Plugins;
using Pliant.Quic.Operations;

namespace Pliant.Benchmarks;

/// <summary>
/// The plugin host's own costs, without a network: attaching a plugin (instance, memory, bindings,
/// <c>init</c>) and detaching it again, and one call from the operation table into WASM
/// (<c>monitoring</c>'s <c>transmit.after_batch</c> observer, <c>cc-newreno</c>'s <c>cc.window</c> and
/// <c>cc.on_ack</c>). Needs <c>plugins/out</c> (<c>bash plugins/build.sh</c>).
/// </summary>
[MemoryDiagnoser]
public class PluginBenchmarks
{
    private const int Calls = 1000;
    private readonly PluginHost _host = new();
    private PluginModule _monitoring = null!;
    private PluginModule _newReno = null!;
    private BenchSite _monitoringSite = null!;
    private BenchSite _newRenoSite = null!;

    [GlobalSetup]
    public void Setup()
    {
        _monitoring = PluginModule.LoadFile(PluginPath("monitoring"));
        _newReno = PluginModule.LoadFile(PluginPath("cc-newreno"));
        _monitoringSite = new BenchSite();
        _host.Attach(_monitoringSite, _monitoring, PluginOrigin.Application);
        _newRenoSite = new BenchSite();
        _host.Attach(_newRenoSite, _newReno, PluginOrigin.Application);
    }

    private static string PluginPath(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "plugins", "out", name + ".wasm");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"plugins/out/{name}.wasm not found above {AppContext.BaseDirectory}: run plugins/build.sh");
    }

    /// <summary>Attach <c>monitoring</c> (5 observers, a timer, <c>init</c>) to a connection and detach it.</summary>
    [Benchmark]
    public bool AttachDetachMonitoring() => AttachDetach(_monitoring);

    /// <summary>Attach <c>cc-newreno</c> (4 replacements, <c>init</c>) to a connection and detach it.</summary>
    [Benchmark]
    public bool AttachDetachNewReno() => AttachDetach(_newReno);

    private bool AttachDetach(PluginModule module)
    {
        var site = new BenchSite();
        _host.Attach(site, module, PluginOrigin.Application);
        return _host.Detach(site, module.Id);
    }

    /// <summary><c>transmit.after_batch</c> into <c>monitoring</c> (reads two arguments), per call.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public ulong MonitoringAfterSend()
    {
        var table = _monitoringSite.Table;
        for (ulong pn = 0; pn < Calls; pn++) table.Invoke(OperationId.TransmitAfterBatch, 0, 1, 1452, 1);
        return 0;
    }

    /// <summary><c>cc.window</c> answered by <c>cc-newreno</c>, per call.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public ulong NewRenoWindow()
    {
        var table = _newRenoSite.Table;
        ulong w = 0;
        for (int i = 0; i < Calls; i++) w += table.Invoke(OperationId.CcWindow, 14520);
        return w;
    }

    /// <summary><c>cc.on_ack</c> into <c>cc-newreno</c> (reads two arguments), per call.</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public ulong NewRenoOnAck()
    {
        var table = _newRenoSite.Table;
        for (ulong i = 0; i < Calls; i++) table.Invoke(OperationId.CcOnAck, 0, 1452, 1_000_000 + i, 20_000, 1_000_000 + i);
        return 0;
    }

    /// <summary>A connection environment over a bare <see cref="OperationTable"/>, as the host sees a connection.</summary>
    private sealed class BenchSite : IConnectionEnvironment
    {
        private long _nextTimer;

        public BenchSite() => Operations.MaxDatagramSize = () => 1452;

        public OperationTable Operations { get; } = new();
        public OperationTable Table => Operations;
        public long NowUs => 1_000_000;
        public ulong GetField(ConnectionField field) => field == ConnectionField.MaxDatagramSize ? 1452UL : 0UL;
        public bool TrySetField(ConnectionField field, ulong value) => false;
        public void RegisterFrameExtension(IFrameExtension extension) { }
        public bool UnregisterFrameExtension(ulong frameType) => false;
        public long ScheduleTimer(long atUs, Action<long, long> callback) => ++_nextTimer;
        public bool CancelTimer(long id) => false;
        public void RaisePluginEvent(string pluginId, string message) { }
        public bool SendDatagram(ReadOnlySpan<byte> data) => false;
        public void CloseWithApplicationError(ulong errorCode, string reason) { }
        public bool PeerParametersKnown => true;
        public IReadOnlyList<(ulong Id, byte[] Value)> PeerExtraTransportParameters => [];
    }
}
