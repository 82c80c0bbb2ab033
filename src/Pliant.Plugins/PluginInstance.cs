using System.Buffers.Binary;
using System.Diagnostics;
using Pliant.Plugins.Abi;
using Pliant.Plugins.Host;
using Pliant.Wasm;
using Pliant.Wasm.Runtime;

namespace Pliant.Plugins;

/// <summary>
/// One plugin running on one connection: its own linear memory and state, kept between calls.
/// Every call into it is metered (fuel per call, call depth); a trap or broken invariant detaches it.
/// </summary>
public sealed unsafe partial class PluginInstance
{
    private readonly Instance _wasm;
    private readonly ExecState _state; // _wasm.State, one hop closer for the host functions' fuel
    private readonly EventLimiter _events;
    private readonly PluginBinding? _binding; // null: a scratch instance outside any connection
    private int _callDepth;

    internal PluginInstance(PluginModule module, PluginOrigin origin, PluginBinding? binding)
    {
        Module = module;
        Origin = origin;
        _binding = binding;
        _events = new EventLimiter(module.Limits);
        var state = _state = new ExecState { MaxDepth = module.Limits.MaxCallDepth, Fuel = module.Limits.FuelPerCall };
        try
        {
            _wasm = module.Compiled.Instantiate(BuildImports(), state);
            uint want = module.Manifest.MemoryPages;
            var mem = _wasm.Memory0!;
            if (want > mem.Pages && mem.Grow((int)(want - (uint)mem.Pages)) < 0)
                throw new PluginLoadException($"plugin {module.Id}: cannot provide the {want} memory pages the manifest asks for");
        }
        catch (WasmException e)
        {
            throw new PluginLoadException($"plugin {module.Id} failed to instantiate: {e.Message}", e);
        }
    }

    /// <summary>The module this instance runs.</summary>
    public PluginModule Module { get; }

    /// <summary>Who attached it.</summary>
    public PluginOrigin Origin { get; }

    /// <summary>False once detached (by request or after a fault).</summary>
    public bool IsAttached { get; private set; } = true;

    /// <summary>Why the plugin was detached (null while attached).</summary>
    public string? DetachReason { get; private set; }

    /// <summary>The plugin's linear memory, for applications and tests reading state the plugin exports.</summary>
    public ReadOnlySpan<byte> Memory => _wasm.Memory0!.Buffer;

    /// <summary>Raised once when the instance faults (the host detaches it from its connection).</summary>
    internal event Action<PluginInstance, string>? Faulted;

    /// <summary>Reads a little-endian u64 at <paramref name="offset"/> of the plugin's memory.</summary>
    public ulong ReadMemoryU64(int offset)
    {
        var buf = _wasm.Memory0!.Buffer;
        if (offset < 0 || offset > buf.Length - 8) throw new ArgumentOutOfRangeException(nameof(offset));
        return BinaryPrimitives.ReadUInt64LittleEndian(buf.AsSpan(offset));
    }

    /// <summary>Copies <paramref name="data"/> into the plugin's memory at <paramref name="offset"/> (application APIs pass buffers this way).</summary>
    public void WriteMemory(int offset, ReadOnlySpan<byte> data)
    {
        var buf = _wasm.Memory0!.Buffer;
        if (offset < 0 || offset > buf.Length - data.Length) throw new ArgumentOutOfRangeException(nameof(offset));
        data.CopyTo(buf.AsSpan(offset));
    }

    /// <summary>
    /// Calls an export with integer arguments (for application queries such as the monitoring counters).
    /// Metered like any other call; a trap detaches the plugin and throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public ulong Call(string export, params ulong[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!IsAttached) throw new InvalidOperationException($"plugin {Module.Id} is detached: {DetachReason}");
        if (!_wasm.Exports.TryGetValue(export, out var e) || e is not FunctionInstance fn)
            throw new ArgumentException($"plugin {Module.Id} exports no function \"{export}\"", nameof(export));
        var t = fn.Type;
        if (t.Params.Length != args.Length) throw new ArgumentException($"\"{export}\" takes {t.Params.Length} arguments", nameof(args));
        // v128 (SIMD) and floats stay inside the plugin: the ABI carries integers only (docs/plugin-abi.md §1).
        if (t.Results.Length > 0 && t.Results[0] is not (Wasm.Decoding.ValType.I32 or Wasm.Decoding.ValType.I64))
            throw new ArgumentException($"\"{export}\" returns a non-integer result ({t.Results[0]})", nameof(export));
        var values = new WasmValue[args.Length];
        for (int i = 0; i < args.Length; i++)
            values[i] = t.Params[i] switch
            {
                Wasm.Decoding.ValType.I32 => WasmValue.FromI32((int)args[i]),
                Wasm.Decoding.ValType.I64 => WasmValue.FromI64((long)args[i]),
                _ => throw new ArgumentException($"\"{export}\" takes a non-integer parameter", nameof(args)),
            };
        ulong result = 0;
        if (!Guard(export, () =>
        {
            var r = Instance.Invoke(fn, values);
            if (r.Length > 0) result = r[0].Type == Wasm.Decoding.ValType.I32 ? (uint)r[0].I32 : (ulong)r[0].I64;
        }))
            throw new InvalidOperationException($"plugin {Module.Id} is detached: {DetachReason}");
        return result;
    }

    /// <summary>A typed delegate for an export (validated by the manifest checks).</summary>
    internal T Export<T>(string name) where T : Delegate => _wasm.GetFunction<T>(name);

    /// <summary>
    /// Runs plugin code metered and isolated: the outermost call gets a fresh fuel budget; any trap,
    /// host fault or other exception marks the instance faulted. Returns false if it faulted (or was detached).
    /// </summary>
    internal bool Guard(string what, Action body)
    {
        if (!IsAttached) return false;
        bool outermost = _callDepth++ == 0;
        long started = 0;
        if (outermost)
        {
            _state.Fuel = Module.Limits.FuelPerCall;
            _events.NewCall();
            started = Stopwatch.GetTimestamp();
        }
        try
        {
            body();
            return IsAttached;
        }
        catch (Exception e)
        {
            // The isolation boundary: whatever went wrong inside the plugin (or in a host function it
            // called) is this plugin's fault and must not reach the connection.
            string reason = e switch
            {
                WasmTrapException t => $"trap in {what}: {t.Message}",
                InsufficientExecutionStackException => $"trap in {what}: call stack exhausted",
                _ => $"fault in {what}: {e.Message}",
            };
            Fault(reason);
            return false;
        }
        finally
        {
            if (--_callDepth == 0)
            {
                _state.Depth = 0;
                _calls++;
                _ticksInside += Stopwatch.GetTimestamp() - started;
                _fuelUsed += Module.Limits.FuelPerCall - Math.Max(0, _state.Fuel);
            }
        }
    }

    private long _calls, _ticksInside, _fuelUsed;

    /// <summary>
    /// Calls made into the plugin so far (operations, timers, frame callbacks, <see cref="Call"/>), the
    /// wall time spent inside them (host functions they called included), the fuel they burned (one
    /// unit per instruction, plus host functions) and the events the rate limit dropped: the direct
    /// cost of running this plugin on its connection.
    /// </summary>
    public PluginUsage Usage => new(_calls, Stopwatch.GetElapsedTime(0, _ticksInside), _fuelUsed, _events.Dropped);

    /// <summary>Marks the instance faulted (a broken invariant found by the host) and notifies the host.</summary>
    internal void Fault(string reason)
    {
        if (!IsAttached) return;
        IsAttached = false;
        DetachReason = reason;
        Pliant.Quic.Diagnostics.QuicMetrics.PluginFaulted();
        Faulted?.Invoke(this, reason);
    }

    /// <summary>Marks the instance detached by request.</summary>
    internal void MarkDetached(string reason)
    {
        if (!IsAttached) return;
        IsAttached = false;
        DetachReason = reason;
    }
}
