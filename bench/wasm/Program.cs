using System.Diagnostics;
using Pliant.Wasm;
using Pliant.Wasm.Bench;
using Pliant.Wasm.Runtime;

// Prints a comparison of wasm (compiled by Pliant.Wasm) against the same kernels in C#.
// Usage: dotnet run -c Release --project bench/wasm [-- path/to/kernels.wasm]
string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "kernels.wasm");
if (!File.Exists(path))
{
    Console.Error.WriteLine($"{path} not found: run bench/wasm/build.sh first (needs clang and lld)");
    return 2;
}
var bytes = File.ReadAllBytes(path);
var imports = new Imports().Function("env", "host_empty", () => { });
var module = CompiledModule.Compile(bytes);
var inst = module.Instantiate(imports);

var fib = inst.GetFunction<Func<int, int>>("fib");
var sieve = inst.GetFunction<Func<int, int>>("sieve");
var matmul = inst.GetFunction<Func<int, double>>("matmul");
var crc = inst.GetFunction<Func<int, int>>("crc32");
var empty = inst.GetFunction<Action>("empty");
var callHost = inst.GetFunction<Action<int>>("call_host");
var loopOnly = inst.GetFunction<Func<int, int>>("loop_only");

Check(fib(20) == Kernels.Fib(20), "fib");
Check(sieve(100000) == Kernels.Sieve(100000), "sieve");
Check(matmul(64) == Kernels.Matmul(64), "matmul");
Check((uint)crc(100000) == Kernels.Crc32(100000), "crc32");

Console.WriteLine($"{"kernel",-14} {"wasm ms",10} {"C# ms",10} {"ratio",8}");
Compare("fib(30)", () => fib(30), () => Kernels.Fib(30));
Compare("sieve(2M)", () => sieve(2_000_000), () => Kernels.Sieve(2_000_000));
Compare("matmul(128)", () => matmul(128), () => Kernels.Matmul(128));
Compare("crc32(1MiB)", () => crc(1 << 20), () => Kernels.Crc32(1 << 20));

const int Calls = 20_000_000;
double hostToWasm = PerOp(() => { for (int i = 0; i < Calls; i++) empty(); }, Calls);
double loopCost = PerOp(() => loopOnly(Calls), Calls);
double wasmToHost = PerOp(() => callHost(Calls), Calls);
Console.WriteLine();
Console.WriteLine($"empty call host->wasm : {hostToWasm:F2} ns");
Console.WriteLine($"empty call wasm->host : {wasmToHost:F2} ns (loop alone {loopCost:F2} ns/iter)");

double compileUs = Best(() => CompiledModule.Compile(bytes), 20) * 1000;
Console.WriteLine($"compile (decode+validate+emit): {compileUs:F0} us for {bytes.Length / 1024.0:F1} KiB = {compileUs / (bytes.Length / 1024.0):F0} us/KiB");
var spec = Environment.GetEnvironmentVariable("PLIANT_WASM_SPEC_DIR");
if (spec != null && Directory.Exists(spec))
{
    var big = Directory.GetFiles(spec, "*.wasm").Select(File.ReadAllBytes).Where(b => b.Length > 4_000).Take(5).ToList();
    foreach (var b in big)
    {
        try
        {
            double dv = Best(() => CompiledModule.DecodeAndValidate(b), 10) * 1000;
            double all = Best(() => CompiledModule.Compile(b), 10) * 1000;
            Console.WriteLine($"compile spec module ({b.Length / 1024.0:F0} KiB): {all / (b.Length / 1024.0):F0} us/KiB, of which decode+validate {dv / (b.Length / 1024.0):F0} us/KiB");
        }
        catch (WasmException) { }
    }
}
double instUs = Best(() => module.Instantiate(imports), 50) * 1000;
Console.WriteLine($"instantiate: {instUs:F1} us (module with {module.Module.Memories[0].Min} pages of memory)");
return 0;

static void Check(bool ok, string what)
{
    if (!ok) throw new InvalidOperationException($"{what}: wasm and C# disagree");
}

static double Best(Action a, int runs = 5) => Pliant.Cli.BenchTiming.BestMs(a, runs);

static void Compare(string name, Action wasm, Action cs)
{
    double w = Best(wasm), c = Best(cs);
    Console.WriteLine($"{name,-14} {w,10:F2} {c,10:F2} {w / c,8:F2}");
}

static double PerOp(Action a, int n) => Best(a, 3) * 1e6 / n;
