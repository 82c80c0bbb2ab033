using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

public class RuntimeTests
{
    [Fact]
    public void TypedExportIsCallable()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, I32], [I32]), [0x20, 0, 0x20, 1, 0x6A], export: "add");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var add = inst.GetFunction<Func<int, int, int>>("add");
        Assert.Equal(5, add(2, 3));
        Assert.Equal(int.MinValue, add(int.MaxValue, 1));
    }

    [Fact]
    public void RecursionAndLoops()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I64], [I64]);
        // fac(n) = n == 0 ? 1 : n * fac(n - 1)
        b.Func(t, [0x20, 0, 0x50, 0x04, I64, 0x42, 1, 0x05, 0x20, 0, 0x20, 0, 0x42, 1, 0x7D, 0x10, 0, 0x7E, 0x0B], export: "fac");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(3628800L, inst.GetFunction<Func<long, long>>("fac")(10));
        Assert.Equal(WasmValue.FromI64(120), inst.Invoke("fac", [WasmValue.FromI64(5)])[0]);
    }

    [Fact]
    public void TrapsCarryTheSpecMessage()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, I32], [I32]), [0x20, 0, 0x20, 1, 0x6D], export: "div");
        b.Func(b.Type([], []), [0x00], export: "boom");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var div = inst.GetFunction<Func<int, int, int>>("div");
        Assert.Equal("integer divide by zero", Assert.Throws<WasmTrapException>(() => div(1, 0)).Message);
        Assert.Equal("integer overflow", Assert.Throws<WasmTrapException>(() => div(int.MinValue, -1)).Message);
        Assert.Equal("unreachable", Assert.Throws<WasmTrapException>(() => inst.Invoke("boom", [])).Message);
    }

    [Fact]
    public void HostFunctionsAndMemorySpan()
    {
        var b = new ModuleBuilder();
        uint hostT = b.Type([I32], [I32]);
        uint host = b.ImportFunc("env", "twice", hostT);
        b.Memory(1);
        // store(0, twice(load(0)))
        b.Func(b.Type([], []), [0x41, 0, 0x41, 0, 0x28, 2, 0, 0x10, (byte)host, 0x36, 2, 0], export: "run");
        var module = CompiledModule.Compile(b.Build());
        var imports = new Imports().Function("env", "twice", (int x) => x * 2);
        var a = module.Instantiate(imports);
        var c = module.Instantiate(imports);
        BitConverter.TryWriteBytes(a.GetMemory().Span, 21);
        a.GetFunction<Action>("run")();
        Assert.Equal(42, BitConverter.ToInt32(a.GetMemory().Span));
        Assert.Equal(0, BitConverter.ToInt32(c.GetMemory().Span)); // instances are independent
    }

    [Fact]
    public void OutOfBoundsAccessTraps()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Func(b.Type([I32], [I32]), [0x20, 0, 0x28, 2, 0], export: "load");
        var load = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("load");
        Assert.Equal(0, load(65532));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => load(65533)).Message);
        Assert.Throws<WasmTrapException>(() => load(-1));
    }

    [Fact]
    public void MultiValueResults()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, I32], [I32, I32]), [0x20, 1, 0x20, 0], export: "swap");
        var r = CompiledModule.Compile(b.Build()).Instantiate().Invoke("swap", [WasmValue.FromI32(1), WasmValue.FromI32(2)]);
        Assert.Equal([WasmValue.FromI32(2), WasmValue.FromI32(1)], r);
    }

    [Fact]
    public void FloatEdgeCases()
    {
        Assert.True(float.IsNegative(Numerics.MinF32(0f, -0f)));
        Assert.False(float.IsNegative(Numerics.MaxF32(-0f, 0f)));
        Assert.True(double.IsNaN(Numerics.MinF64(double.NaN, 1)));
        Assert.Equal(2.0, Numerics.NearestF64(2.5));
        Assert.Equal(-0.0, Numerics.NearestF64(-0.4));
        Assert.True(double.IsNegative(Numerics.NearestF64(-0.4)));
        Assert.Equal(int.MaxValue, Numerics.SatI32F32S(float.PositiveInfinity));
        Assert.Equal(0, Numerics.SatI32F64U(double.NaN));
        Assert.Equal("invalid conversion to integer", Assert.Throws<WasmTrapException>(() => Numerics.TruncI32F32S(float.NaN)).Message);
        Assert.Equal("integer overflow", Assert.Throws<WasmTrapException>(() => Numerics.TruncI32F64U(-1.0)).Message);
        Assert.Equal(9223372036854775808f, Numerics.U64ToF32(long.MinValue));
    }

    [Fact]
    public void MissingImportIsALinkError()
    {
        var b = new ModuleBuilder();
        b.ImportFunc("env", "f", b.Type([], []));
        var m = CompiledModule.Compile(b.Build());
        Assert.Throws<WasmLinkException>(() => m.Instantiate());
        Assert.Throws<WasmLinkException>(() => m.Instantiate(new Imports().Function("env", "f", (int x) => { })));
    }
}

public class HostCallerTests
{
    [Fact]
    public void HostFunctionReceivesTheCallingInstance()
    {
        var b = new ModuleBuilder();
        uint log = b.ImportFunc("env", "sum", b.Type([ModuleBuilder.I32, ModuleBuilder.I32], [ModuleBuilder.I32]));
        b.Memory(1);
        b.Func(b.Type([], [ModuleBuilder.I32]), [0x41, 0, 0x41, 4, 0x10, (byte)log], export: "run");
        var module = CompiledModule.Compile(b.Build());
        var imports = new Imports().Function("env", "sum", (Instance caller, int ptr, int len) =>
        {
            int s = 0;
            foreach (var x in caller.GetMemory().Span.Slice(ptr, len)) s += x;
            return s;
        });
        var a = module.Instantiate(imports);
        var c = module.Instantiate(imports);
        a.GetMemory().Span[..4].Fill(1);
        c.GetMemory().Span[..4].Fill(2);
        Assert.Equal(4, a.GetFunction<Func<int>>("run")());
        Assert.Equal(8, c.GetFunction<Func<int>>("run")());
    }
}
