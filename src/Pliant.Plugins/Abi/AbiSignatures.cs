using Pliant.Wasm.Decoding;

namespace Pliant.Plugins.Abi;

/// <summary>The signatures of the <c>pliant</c> import module and of the exports the host calls.</summary>
internal static class AbiSignatures
{
    public const string ImportModule = "pliant";

    private const ValType I32 = ValType.I32, I64 = ValType.I64;

    private static FuncType F(ValType[] p, ValType[] r) => new(p, r);

    /// <summary>Every host function a plugin may import, by name.</summary>
    public static readonly IReadOnlyDictionary<string, FuncType> Imports = new Dictionary<string, FuncType>(StringComparer.Ordinal)
    {
        ["get_field"] = F([I32], [I64]),
        ["get_path_field"] = F([I64, I32], [I64]),
        ["get_stream_field"] = F([I64, I32], [I64]),
        ["stream_candidate"] = F([I32], [I64]),
        ["set_field"] = F([I32, I64], [I32]),
        ["now"] = F([], [I64]),
        ["log"] = F([I32, I32], []),
        ["arg"] = F([I32], [I64]),
        ["set_result"] = F([I64], []),
        ["reserve_frame"] = F([I64], [I32]),
        ["write_frame_bytes"] = F([I32, I32], [I32]),
        ["frame_data"] = F([I32, I32], [I32]),
        ["set_timer"] = F([I64, I32], []),
        ["emit_event"] = F([I32, I32], []),
        ["send_datagram"] = F([I32, I32], [I32]),
    };

    /// <summary>Operation binding, init: <c>() -&gt; ()</c>.</summary>
    public static readonly FuncType Void = F([], []);
    /// <summary>on_timer: <c>(i32) -&gt; ()</c>.</summary>
    public static readonly FuncType Timer = F([I32], []);
    /// <summary>Frame/TP process, TP write: <c>(i32) -&gt; i32</c>.</summary>
    public static readonly FuncType LenToI32 = F([I32], [I32]);
    /// <summary>Frame write: <c>(i32) -&gt; i64</c>.</summary>
    public static readonly FuncType FrameWrite = F([I32], [I64]);
    /// <summary>Frame on_acked/on_lost: <c>(i64) -&gt; ()</c>.</summary>
    public static readonly FuncType Token = F([I64], []);
}
