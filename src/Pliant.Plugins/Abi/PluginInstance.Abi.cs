using System.Text;
using Pliant.Plugins.Abi;
using Pliant.Wasm.Runtime;

namespace Pliant.Plugins;

/// <summary>The <c>pliant</c> import module bound to one instance: every host function is a typed direct call.</summary>
public sealed unsafe partial class PluginInstance
{
    internal CallArgs Args;
    private byte* _inPtr;
    private int _inLen;
    private byte* _outPtr;
    private int _outCap;
    private int _outLen;

    private Imports BuildImports()
    {
        // Every host function charges fuel (HostCallFuel, docs/plugin-abi.md "Limits"); the compiled
        // caller checks the budget as soon as the call returns.
        var imports = new Imports();
        const string M = AbiSignatures.ImportModule;
        const long B = HostCallFuel.Base;
        // A scratch instance (no binding) reaches nothing: reads are 0, writes refused, events dropped.
        imports.Function<Func<int, long>>(M, "get_field", f => { Burn(B); return (long)(_binding?.GetField(f) ?? 0); });
        imports.Function<Func<long, int, long>>(M, "get_path_field", (path, f) => { Burn(B); return (long)(_binding?.GetPathField((ulong)path, f) ?? 0); });
        imports.Function<Func<long, int, long>>(M, "get_stream_field", (id, f) => { Burn(B); return (long)(_binding?.GetStreamField((ulong)id, f) ?? ulong.MaxValue); });
        imports.Function<Func<int, long>>(M, "stream_candidate", i => { Burn(B); return (long)(_binding?.StreamCandidate(i) ?? 1UL << 62); });
        imports.Function<Func<int, long, int>>(M, "set_field", (f, v) => { Burn(B); return _binding?.TrySetField(f, (ulong)v) == true ? 1 : 0; });
        imports.Function<Func<long>>(M, "now", () => { Burn(B); return _binding?.NowUs ?? 0; });
        imports.Function<Action<int, int>>(M, "log", (p, n) => { if (EventAllowed(p, n, "log")) _binding?.Log(Text(p, n, "log")); });
        imports.Function<Func<int, long>>(M, "arg", i => { Burn(B); return (long)Args.Get(i); });
        imports.Function<Action<long>>(M, "set_result", v => { Burn(B); Args.Result = (ulong)v; Args.ResultSet = true; });
        imports.Function<Func<long, int>>(M, "reserve_frame", t => { Burn(B); return _binding?.ReserveFrame((ulong)t) == true ? 1 : 0; });
        imports.Function<Func<int, int, int>>(M, "write_frame_bytes", WriteBytes);
        imports.Function<Func<int, int, int>>(M, "frame_data", FrameData);
        imports.Function<Action<long, int>>(M, "set_timer", (at, id) => { Burn(B); _binding?.SetTimer(at, id); });
        imports.Function<Action<int, int>>(M, "emit_event", (p, n) => { if (EventAllowed(p, n, "emit_event")) _binding?.EmitEvent(Text(p, n, "emit_event")); });
        imports.Function<Func<int, int, int>>(M, "send_datagram", (p, n) => { Burn(HostCallFuel.Copying(n)); return _binding?.SendDatagram(Slice(p, n, "send_datagram")) == true ? 1 : 0; });
        return imports;
    }

    /// <summary>Charges a host function's fuel (the caller's check traps if it went below zero).</summary>
    private void Burn(long units) => _state.Fuel -= units;

    /// <summary>
    /// emit_event and log: charges their fuel, checks the range, and applies the event rate limit
    /// (<see cref="EventLimiter"/>); false when the event is dropped.
    /// </summary>
    private bool EventAllowed(int ptr, int len, string what)
    {
        Burn(HostCallFuel.Event + Math.Clamp(len, 0, MaxEventText));
        Slice(ptr, Math.Min(len, MaxEventText), what); // a bad range is a fault even when the event is dropped
        return _events.TryTake(_binding?.NowUs ?? 0);
    }

    /// <summary>Longest event text, in bytes (longer texts are cut).</summary>
    internal const int MaxEventText = 4096;

    /// <summary>Bytes [ptr, ptr+len) of the plugin's memory, or a fault if outside it.</summary>
    private Span<byte> Slice(int ptr, int len, string what)
    {
        var buf = _wasm.Memory0!.Buffer;
        if (len < 0 || ptr < 0 || (long)ptr + len > buf.Length)
            throw new PluginFaultException($"{what}: range [{ptr}, {(long)ptr + len}) is outside the plugin's memory");
        return buf.AsSpan(ptr, len);
    }

    private string Text(int ptr, int len, string what) => Encoding.UTF8.GetString(Slice(ptr, Math.Min(len, MaxEventText), what));

    /// <summary>write_frame_bytes: appends to the frame or parameter being written; -1 if it does not fit.</summary>
    private int WriteBytes(int ptr, int len)
    {
        Burn(HostCallFuel.Copying(len));
        if (_outPtr == null) throw new PluginFaultException("write_frame_bytes called outside a write export");
        var src = Slice(ptr, len, "write_frame_bytes");
        if (len > _outCap - _outLen) throw new PluginFaultException($"write_frame_bytes: {len} bytes do not fit in the {_outCap - _outLen} left");
        src.CopyTo(new Span<byte>(_outPtr + _outLen, _outCap - _outLen));
        _outLen += len;
        return len;
    }

    /// <summary>frame_data: copies up to maxlen bytes of the received frame (or parameter) into memory; returns the count.</summary>
    private int FrameData(int ptr, int maxLen)
    {
        if (_inPtr == null) throw new PluginFaultException("frame_data called outside a process export");
        int n = Math.Min(Math.Max(maxLen, 0), _inLen);
        Burn(HostCallFuel.Copying(n));
        new ReadOnlySpan<byte>(_inPtr, n).CopyTo(Slice(ptr, n, "frame_data"));
        return n;
    }

    /// <summary>Runs <paramref name="body"/> with <paramref name="input"/> readable through frame_data.</summary>
    internal int WithInput(ReadOnlySpan<byte> input, Func<int> body)
    {
        fixed (byte* p = input)
        {
            var (savedPtr, savedLen) = ((nint)_inPtr, _inLen);
            _inPtr = p == null ? (byte*)1 : p;
            _inLen = input.Length;
            try { return body(); }
            finally { _inPtr = (byte*)savedPtr; _inLen = savedLen; }
        }
    }

    /// <summary>Runs <paramref name="body"/> with <paramref name="output"/> writable through write_frame_bytes; returns bytes written.</summary>
    internal int WithOutput<T>(Span<byte> output, Func<T> body, out T result)
    {
        fixed (byte* p = output)
        {
            nint savedPtr = (nint)_outPtr;
            int savedCap = _outCap, savedLen = _outLen;
            _outPtr = p == null ? (byte*)1 : p;
            _outCap = output.Length;
            _outLen = 0;
            try
            {
                result = body();
                return _outLen;
            }
            finally
            {
                _outPtr = (byte*)savedPtr;
                _outCap = savedCap;
                _outLen = savedLen;
            }
        }
    }
}
