using System.Globalization;
using System.Text.Json;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Spec;

/// <summary>
/// Runs the official test suite converted by wast2json (NAME.json plus module files). Shared by the
/// CLI (<c>pliant wasm spec</c>) and the tests.
/// </summary>
public sealed class SpecRunner
{
    /// <summary>Fuel given to each action, so a miscompiled loop cannot hang the run.</summary>
    public long FuelPerAction { get; init; } = 2_000_000_000;

    /// <summary>Expands files and directories into the .json files to run, sorted.</summary>
    public static List<string> Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p)) files.AddRange(Directory.GetFiles(p, "*.json").OrderBy(f => f, StringComparer.Ordinal));
            else files.Add(p);
        }
        return files;
    }

    /// <summary>Runs files on a thread with a large stack; returns one result per file.</summary>
    public List<SpecFileResult> RunAll(IEnumerable<string> paths)
    {
        var results = new List<SpecFileResult>();
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                foreach (var f in Expand(paths)) results.Add(RunFile(f));
            }
            catch (Exception e)
            {
                error = e;
            }
        }, 256 << 20);
        t.Start();
        t.Join();
        if (error != null) throw new InvalidOperationException("spec run failed", error);
        return results;
    }

    /// <summary>Runs one wast2json file.</summary>
    public SpecFileResult RunFile(string jsonPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath))!;
        var result = new SpecFileResult { File = Path.GetFileName(jsonPath) };
        using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        var imports = new Imports();
        SpectestModule.Define(imports);
        var state = new ExecState();
        var named = new Dictionary<string, Instance>();
        Instance? current = null;
        foreach (var cmd in doc.RootElement.GetProperty("commands").EnumerateArray())
        {
            string type = cmd.GetProperty("type").GetString()!;
            int line = cmd.TryGetProperty("line", out var l) ? l.GetInt32() : 0;
            try
            {
                var outcome = Run(cmd, type, dir, imports, state, named, ref current);
                if (outcome == null) result.Passed++;
                else if (outcome == Skip) result.Skipped++;
                else
                {
                    result.Failed++;
                    result.Failures.Add($"{result.File}:{line}: {type}: {outcome}");
                }
            }
            catch (Exception e)
            {
                result.Failed++;
                result.Failures.Add($"{result.File}:{line}: {type}: unexpected {e.GetType().Name}: {e.Message}");
            }
        }
        return result;
    }

    private const string Skip = "\u0000skip";

    private string? Run(JsonElement cmd, string type, string dir, Imports imports, ExecState state, Dictionary<string, Instance> named, ref Instance? current)
    {
        switch (type)
        {
            case "module":
            {
                current = null;
                string file = cmd.GetProperty("filename").GetString()!;
                if (!file.EndsWith(".wasm", StringComparison.Ordinal)) return Skip;
                var inst = CompiledModule.Compile(File.ReadAllBytes(Path.Combine(dir, file))).Instantiate(imports, state);
                current = inst;
                if (cmd.TryGetProperty("name", out var n)) named[n.GetString()!] = inst;
                return null;
            }
            case "register":
            {
                var inst = cmd.TryGetProperty("name", out var n) ? named[n.GetString()!] : current ?? throw new InvalidOperationException("no module");
                imports.Register(cmd.GetProperty("as").GetString()!, inst);
                return null;
            }
            case "action":
                DoAction(cmd.GetProperty("action"), named, current);
                return null;
            case "assert_return":
            {
                var got = DoAction(cmd.GetProperty("action"), named, current);
                var exp = cmd.GetProperty("expected");
                if (exp.GetArrayLength() != got.Length) return $"expected {exp.GetArrayLength()} results, got {got.Length}";
                int i = 0;
                foreach (var e in exp.EnumerateArray())
                {
                    if (!Matches(e, got[i])) return $"result {i}: expected {e.GetProperty("type").GetString()} {ValueText(e)}, got {got[i]}";
                    i++;
                }
                return null;
            }
            case "assert_trap" or "assert_exhaustion":
            {
                try
                {
                    DoAction(cmd.GetProperty("action"), named, current);
                    return "expected trap: " + cmd.GetProperty("text").GetString();
                }
                catch (WasmTrapException)
                {
                    return null;
                }
            }
            case "assert_malformed" or "assert_invalid":
            {
                string file = cmd.GetProperty("filename").GetString()!;
                if (!file.EndsWith(".wasm", StringComparison.Ordinal)) return Skip;
                var bytes = File.ReadAllBytes(Path.Combine(dir, file));
                try
                {
                    CompiledModule.DecodeAndValidate(bytes);
                    return "module accepted; expected " + cmd.GetProperty("text").GetString();
                }
                catch (WasmMalformedException e)
                {
                    return type == "assert_malformed" ? null : "malformed (" + e.Message + "), expected invalid: " + cmd.GetProperty("text").GetString();
                }
                catch (WasmInvalidException e)
                {
                    return type == "assert_invalid" ? null : "invalid (" + e.Message + "), expected malformed: " + cmd.GetProperty("text").GetString();
                }
            }
            case "assert_unlinkable" or "assert_uninstantiable":
            {
                string file = cmd.GetProperty("filename").GetString()!;
                if (!file.EndsWith(".wasm", StringComparison.Ordinal)) return Skip;
                var bytes = File.ReadAllBytes(Path.Combine(dir, file));
                var cm = CompiledModule.Compile(bytes);
                try
                {
                    cm.Instantiate(imports, state);
                    return "instantiated; expected " + cmd.GetProperty("text").GetString();
                }
                catch (WasmLinkException)
                {
                    return type == "assert_unlinkable" ? null : "link error, expected trap";
                }
                catch (WasmTrapException)
                {
                    return type == "assert_uninstantiable" ? null : "trap, expected link error";
                }
            }
            default:
                return Skip;
        }
    }

    private WasmValue[] DoAction(JsonElement action, Dictionary<string, Instance> named, Instance? current)
    {
        var inst = action.TryGetProperty("module", out var mn) ? named[mn.GetString()!] : current ?? throw new InvalidOperationException("no current module");
        string field = action.GetProperty("field").GetString()!;
        string kind = action.GetProperty("type").GetString()!;
        if (kind == "get") return [inst.GetGlobal(field).Value];
        var args = action.GetProperty("args").EnumerateArray().Select(ParseValue).ToArray();
        return inst.Invoke(field, args, FuelPerAction);
    }

    private static string ValueText(JsonElement v) =>
        !v.TryGetProperty("value", out var x) ? "" : x.ValueKind == JsonValueKind.Array ? $"{v.GetProperty("lane_type").GetString()}x[{string.Join(' ', x.EnumerateArray())}]" : x.ToString();

    private static WasmValue ParseValue(JsonElement v)
    {
        string t = v.GetProperty("type").GetString()!;
        if (t == "v128") return SpecV128.Parse(v);
        string s = v.GetProperty("value").GetString()!;
        return t switch
        {
            "i32" => WasmValue.FromI32((int)ulong.Parse(s, CultureInfo.InvariantCulture)),
            "i64" => WasmValue.FromI64((long)ulong.Parse(s, CultureInfo.InvariantCulture)),
            "f32" => WasmValue.FromF32Bits((uint)ulong.Parse(s, CultureInfo.InvariantCulture)),
            "f64" => WasmValue.FromF64Bits(ulong.Parse(s, CultureInfo.InvariantCulture)),
            "externref" => WasmValue.FromRef(ValType.ExternRef, s == "null" ? null : new HostRef(ulong.Parse(s, CultureInfo.InvariantCulture))),
            "funcref" => WasmValue.FromRef(ValType.FuncRef, null),
            _ => throw new NotSupportedException("value type " + t),
        };
    }

    private static bool Matches(JsonElement e, WasmValue got)
    {
        string t = e.GetProperty("type").GetString()!;
        if (t == "v128") return got.Type == ValType.V128 && SpecV128.Matches(e, got);
        string s = e.TryGetProperty("value", out var x) ? x.GetString()! : "";
        switch (t)
        {
            case "i32": return got.Type == ValType.I32 && (uint)got.I32 == (uint)ulong.Parse(s, CultureInfo.InvariantCulture);
            case "i64": return got.Type == ValType.I64 && (ulong)got.I64 == ulong.Parse(s, CultureInfo.InvariantCulture);
            case "f32":
            {
                if (got.Type != ValType.F32) return false;
                uint bits = (uint)got.Bits;
                if (s == "nan:canonical") return (bits & 0x7FFFFFFF) == 0x7FC00000;
                if (s == "nan:arithmetic") return (bits & 0x7FC00000) == 0x7FC00000;
                return bits == (uint)ulong.Parse(s, CultureInfo.InvariantCulture);
            }
            case "f64":
            {
                if (got.Type != ValType.F64) return false;
                ulong bits = (ulong)got.Bits;
                if (s == "nan:canonical") return (bits & 0x7FFFFFFFFFFFFFFF) == 0x7FF8000000000000;
                if (s == "nan:arithmetic") return (bits & 0x7FF8000000000000) == 0x7FF8000000000000;
                return bits == ulong.Parse(s, CultureInfo.InvariantCulture);
            }
            case "externref":
                if (got.Type != ValType.ExternRef) return false;
                if (s == "null") return got.Ref is null;
                return got.Ref is HostRef h && h.Value == ulong.Parse(s, CultureInfo.InvariantCulture);
            case "funcref":
                if (got.Type != ValType.FuncRef) return false;
                return s == "null" ? got.Ref is null : got.Ref is FunctionInstance;
            default:
                return false;
        }
    }
}
