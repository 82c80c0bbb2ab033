using System.CommandLine;
using System.Globalization;
using Pliant.Wasm;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;
using Pliant.Wasm.Spec;

namespace Pliant.Cli;

/// <summary>The <c>pliant wasm</c> commands: <c>spec</c> (run the official suite), <c>run</c> and <c>bench</c>.</summary>
internal static class WasmCommands
{
    public static Command Create()
    {
        var wasm = new Command("wasm", "WebAssembly engine: run modules and the spec test suite.");
        wasm.Subcommands.Add(CreateSpec());
        wasm.Subcommands.Add(CreateRun());
        wasm.Subcommands.Add(CreateBench());
        return wasm;
    }

    private static Command CreateSpec()
    {
        var paths = new Argument<string[]>("paths") { Description = "wast2json .json files or directories", Arity = ArgumentArity.OneOrMore };
        var verbose = new Option<bool>("--verbose") { Description = "print every failure" };
        var cmd = new Command("spec", "Run wast2json spec tests and print a per-file table.");
        cmd.Arguments.Add(paths);
        cmd.Options.Add(verbose);
        cmd.SetAction(pr =>
        {
            var results = new SpecRunner().RunAll(pr.GetValue(paths)!);
            int p = 0, f = 0, s = 0;
            Console.WriteLine($"{"file",-32} {"passed",8} {"failed",8} {"skipped",8}");
            foreach (var r in results)
            {
                Console.WriteLine($"{r.File,-32} {r.Passed,8} {r.Failed,8} {r.Skipped,8}");
                p += r.Passed;
                f += r.Failed;
                s += r.Skipped;
            }
            if (pr.GetValue(verbose))
                foreach (var r in results) foreach (var line in r.Failures) Console.WriteLine(line);
            Console.WriteLine($"{p} passed, {f} failed, {s} skipped");
            return f == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static Command CreateBench()
    {
        var dir = new Option<string?>("--dir") { Description = "folder with workloads.wasm, workloads-simd.wasm and run.mjs (default: bench/wasm/vsnode of the repository around the working directory)" };
        var node = new Option<string>("--node") { Description = "the node executable", DefaultValueFactory = _ => "node" };
        var rounds = new Option<int>("--rounds") { Description = "paired calls per kernel (one call in each engine right after the other; the verdict is on the median per-pair ratio)", DefaultValueFactory = _ => WasmBench.DefaultRounds };
        var only = new Option<string[]>("--kernel") { Description = "run only these kernels (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var noNode = new Option<bool>("--no-node") { Description = "time Pliant only" };
        var noProcess = new Option<bool>("--no-process") { Description = "skip the whole-process runs" };
        var noFuel = new Option<bool>("--no-fuel") { Description = "compile the kernels without fuel metering (WasmLimits.MeterFuel = false; V8 meters nothing)" };
        var cmd = new Command("bench", "Pliant.Wasm vs Node's V8 on eight C kernels (with and without -msimd128), compile speed and call costs, PASS/FAIL against issue 16's goals.");
        foreach (var o in new Option[] { dir, node, rounds, only, noNode, noProcess, noFuel }) cmd.Options.Add(o);
        cmd.SetAction(pr => WasmBench.Run(new WasmBench.Options(pr.GetValue(dir), pr.GetValue(node)!, Math.Max(1, pr.GetValue(rounds)),
            pr.GetValue(only) ?? [], pr.GetValue(noNode), pr.GetValue(noProcess), pr.GetValue(noFuel))));
        return cmd;
    }

    private static Command CreateRun()
    {
        var file = new Argument<string>("file") { Description = "module (.wasm)" };
        var args = new Argument<string[]>("args") { Description = "arguments for the invoked function", Arity = ArgumentArity.ZeroOrMore };
        var invoke = new Option<string>("--invoke") { Description = "exported function to call", Required = true };
        var fuel = new Option<long?>("--fuel") { Description = "fuel limit for the call" };
        var noFuel = new Option<bool>("--no-fuel") { Description = "compile without fuel metering (WasmLimits.MeterFuel = false); not with --fuel" };
        var cmd = new Command("run", "Instantiate a module and call an exported function.");
        cmd.Arguments.Add(file);
        cmd.Arguments.Add(args);
        cmd.Options.Add(invoke);
        cmd.Options.Add(fuel);
        cmd.Options.Add(noFuel);
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(noFuel) && pr.GetValue(fuel).HasValue)
            {
                Console.Error.WriteLine("--fuel needs fuel metering: not with --no-fuel");
                return 2;
            }
            int code = 0;
            var limits = WasmLimits.Default with { MeterFuel = !pr.GetValue(noFuel) };
            var t = new Thread(() => code = Run(pr.GetValue(file)!, pr.GetValue(invoke)!, pr.GetValue(args) ?? [], pr.GetValue(fuel), limits), 256 << 20);
            t.Start();
            t.Join();
            return code;
        });
        return cmd;
    }

    private static int Run(string path, string name, string[] rawArgs, long? fuel, WasmLimits limits)
    {
        try
        {
            var module = CompiledModule.Compile(File.ReadAllBytes(path), limits);
            var imports = new Imports();
            SpectestModule.Define(imports);
            StubUnresolvedFunctions(module, imports);
            var inst = module.Instantiate(imports);
            var f = inst.GetExportedFunction(name);
            if (rawArgs.Length != f.Type.Params.Length)
            {
                Console.Error.WriteLine($"{name} takes {f.Type.Params.Length} arguments, got {rawArgs.Length}");
                return 2;
            }
            var args = new WasmValue[rawArgs.Length];
            for (int i = 0; i < args.Length; i++) args[i] = Parse(f.Type.Params[i], rawArgs[i]);
            foreach (var r in Instance.Invoke(f, args, fuel)) Console.WriteLine(r.ToString());
            return 0;
        }
        catch (WasmTrapException e)
        {
            Console.Error.WriteLine("trap: " + e.Message);
            return 1;
        }
        catch (WasmException e)
        {
            Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or FormatException or KeyNotFoundException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }

    /// <summary>Function imports nobody provides become host functions that trap when called.</summary>
    private static void StubUnresolvedFunctions(CompiledModule module, Imports imports)
    {
        foreach (var imp in module.Module.Imports)
        {
            if (imp.Kind != ExternKind.Func || imports.TryGet(imp.Module, imp.Name, out _)) continue;
            var ft = module.Module.Types[(int)imp.TypeIndex];
            if (ft.Results.Length > 1) continue;
            static Type Clr(ValType t) => t switch
            {
                ValType.I32 => typeof(int), ValType.I64 => typeof(long), ValType.F32 => typeof(float), ValType.F64 => typeof(double),
                ValType.FuncRef => typeof(FunctionInstance), _ => typeof(object),
            };
            var ps = ft.Params.Select(p => System.Linq.Expressions.Expression.Parameter(Clr(p))).ToArray();
            var ret = ft.Results.Length == 1 ? Clr(ft.Results[0]) : typeof(void);
            var delegateType = System.Linq.Expressions.Expression.GetDelegateType([.. ps.Select(p => p.Type), ret]);
            var body = System.Linq.Expressions.Expression.Throw(
                System.Linq.Expressions.Expression.Constant(new WasmTrapException($"unresolved import {imp.Module}.{imp.Name} called")), ret);
            var fn = System.Linq.Expressions.Expression.Lambda(delegateType, body, ps).Compile();
            imports.Define(imp.Module, imp.Name, HostFunction.Create(delegateType, fn));
        }
    }

    private static WasmValue Parse(ValType t, string s)
    {
        var c = CultureInfo.InvariantCulture;
        return t switch
        {
            ValType.I32 => WasmValue.FromI32(s.StartsWith('-') ? int.Parse(s, c) : (int)uint.Parse(s, c)),
            ValType.I64 => WasmValue.FromI64(s.StartsWith('-') ? long.Parse(s, c) : (long)ulong.Parse(s, c)),
            ValType.F32 => WasmValue.FromF32(float.Parse(s, c)),
            ValType.F64 => WasmValue.FromF64(double.Parse(s, c)),
            _ => s == "null" ? WasmValue.FromRef(t, null) : throw new FormatException($"cannot pass {s} as {t.Name()}"),
        };
    }
}
