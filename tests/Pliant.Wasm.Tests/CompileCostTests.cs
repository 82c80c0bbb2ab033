using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// What compiling a module costs, counted rather than timed: <see cref="CompiledModule.Compile(System.ReadOnlyMemory{byte}, WasmLimits?)"/>
/// produces IL and entry points without running the JIT (the functions are JIT-compiled at their first call
/// or by <see cref="CompiledModule.PrepareAll"/>); a helper method that collected the entry points had to be
/// JIT-compiled for every module, as much time as compiling 4 KiB of wasm to IL.
/// </summary>
public class CompileCostTests
{
    [Fact]
    public void CompileRunsNoJit()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I32, I32], [I32]);
        for (int i = 0; i < 20; i++) b.Func(t, [0x20, 0, 0x20, 1, 0x6A], export: "add" + i);
        var bytes = b.Build();
        CompiledModule.Compile(bytes); // the compiler's own code is JIT-compiled here
        long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        var m = CompiledModule.Compile(bytes);
        long jitted = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;
        Assert.Equal(0, jitted);
        Assert.Equal(7, m.Instantiate().GetFunction<Func<int, int, int>>("add13")(3, 4)); // entry points work
    }

    /// <summary>
    /// Compile records the methods' tokens; the entry points are resolved at the first use (<c>CodeEntries</c>). Whichever
    /// comes first — <see cref="CompiledModule.PrepareAll"/>, a typed export, or eight threads instantiating the fresh module at
    /// once — every instance gets one working entry per function (the same for all instances), the machine code recorded by
    /// <c>PrepareAll</c> is not lost to a later resolution, and a function compiled without an entry (a self-recursive one
    /// nothing outside the code names) still has none.
    /// </summary>
    [Fact]
    public void EntriesResolvedAtFirstUseWhicheverUseComesFirst()
    {
        static byte[] Build()
        {
            var b = new ModuleBuilder();
            uint i2i = b.Type([I32], [I32]);
            // f0: sum(n) = n == 0 ? 0 : n + sum(n - 1), self-recursive and named by nothing outside the code: no entry.
            uint sum = b.Func(i2i, [0x20, 0x00, 0x45, 0x04, I32, 0x41, 0x00, 0x05, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x00, 0x6A, 0x0B]);
            b.Func(i2i, [0x20, 0x00, 0x10, (byte)sum], export: "sum");
            uint inc = b.Func(i2i, [0x20, 0x00, 0x41, 0x01, 0x6A], export: "inc");
            b.Table(1).Elem(0, inc);
            b.Func(i2i, [0x20, 0x00, 0x41, 0x00, 0x11, (byte)i2i, 0x00], export: "via_table");
            return b.Build();
        }
        static void Check(Runtime.Instance inst)
        {
            Assert.Equal(55, inst.GetFunction<Func<int, int>>("sum")(10));
            Assert.Equal(8, inst.GetFunction<Func<int, int>>("inc")(7));
            Assert.Equal(8, inst.GetFunction<Func<int, int>>("via_table")(7));
            Assert.Equal(Compilation.NoEntryStubs.For(inst.Functions[0].Type), inst.Functions[0].Entry); // sum's body: no entry, listed with the stub
            for (int i = 1; i < inst.Functions.Length; i++) Assert.NotEqual(0, inst.Functions[i].Entry);
        }

        var prepared = CompiledModule.Compile(Build(), new WasmLimits { MaxCallDepth = 100 });
        prepared.PrepareAll(); // before any instance: records machine code before the entries were ever resolved
        var first = prepared.Instantiate();
        Assert.All(first.Functions.Skip(1), f => Assert.True(f.AtMachineCode));
        for (int i = 1; i < first.Functions.Length; i++) // the machine code PrepareAll recorded, not the precode
            Assert.Equal(prepared.CodeHolder.GetMethod("f" + i)!.MethodHandle.GetFunctionPointer(), first.Functions[i].Entry);
        Check(first);

        var typed = CompiledModule.Compile(Build(), new WasmLimits { MaxCallDepth = 100 });
        Assert.Equal(8, typed.Instantiate().GetFunction<Func<int, int>>("inc")(7));
        Assert.True(typed.Instantiate().GetExportedFunction("inc").AtMachineCode);

        var fresh = CompiledModule.Compile(Build(), new WasmLimits { MaxCallDepth = 100 });
        var instances = new Runtime.Instance[8];
        using var start = new Barrier(instances.Length);
        var threads = Enumerable.Range(0, instances.Length).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            instances[t] = fresh.Instantiate();
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) Assert.True(th.Join(TimeSpan.FromSeconds(60)));
        foreach (var inst in instances)
        {
            Check(inst);
            for (int i = 0; i < inst.Functions.Length; i++) Assert.Equal(instances[0].Functions[i].Entry, inst.Functions[i].Entry);
        }
    }

    /// <summary>
    /// The function types of a batch's modules derive from one empty base class of their dynamic module (a TypeDef token
    /// for DefineType and CreateType, not a TypeRef to <see cref="object"/> looked up twice per module); the type holds
    /// only the module's functions, and sixteen modules in a row share it.
    /// </summary>
    [Fact]
    public void ModulesOfABatchShareAnEmptyBaseClass()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I32], [I32]);
        b.Func(t, [0x20, 0x00], export: "id");
        var bytes = b.Build();
        var modules = Enumerable.Range(0, 3).Select(_ => CompiledModule.Compile(bytes)).ToArray();
        foreach (var m in modules)
        {
            var holder = m.CodeHolder;
            Assert.True(holder.IsAbstract && holder.IsSealed);
            var baseType = holder.BaseType!;
            Assert.NotEqual(typeof(object), baseType);
            Assert.Equal(typeof(object), baseType.BaseType);
            Assert.Same(holder.Module, baseType.Module);
            Assert.Empty(baseType.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly));
            Assert.Equal(["f0"], holder.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly).Select(x => x.Name));
            Assert.Equal(5, m.Instantiate().GetFunction<Func<int, int>>("id")(5));
        }
    }

    /// <summary>
    /// 20 functions of 801 instructions: decoding allocates about one 32-byte <c>Instr</c> per instruction (no
    /// list growth copies), compiling a bounded amount per instruction (no per-instruction closure or buffer).
    /// Bounds: 48 B per instruction each (measured 32 and 19; before: 114, and 72 with a closure per instruction).
    /// </summary>
    [Fact]
    public void DecodeAndCompileAllocateBoundedBytesPerInstruction()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I32, I32], [I32]);
        var body = new List<byte>();
        for (int i = 0; i < 200; i++) body.AddRange([0x20, 0, 0x20, 1, 0x6A, 0x21, 0]); // local.get 0, local.get 1, i32.add, local.set 0
        body.AddRange([0x20, 0]);
        for (int f = 0; f < 20; f++) b.Func(t, [.. body]);
        var bytes = b.Build();
        int instructions = 20 * 802;
        CompiledModule.Compile(bytes); // warm: the compiler's own code and per-thread buffers

        long before = GC.GetAllocatedBytesForCurrentThread();
        var m = CompiledModule.DecodeAndValidate(bytes);
        long decoded = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        CompiledModule.Compile(m);
        long compiled = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(decoded < 48 * instructions, $"decode+validate allocated {decoded} bytes for {instructions} instructions");
        Assert.True(compiled < 48 * instructions, $"compile allocated {compiled} bytes for {instructions} instructions");
    }

    private const uint I32x4Add = 174, I32x4Splat = 17, I32x4ExtractLane = 27, I32x4Mul = 181;

    /// <summary>
    /// Locals of types from other assemblies (v128, <c>ExecState</c>, <c>FunctionInstance</c>, <c>FuelResultI32</c>) are declared by their
    /// signature encoding with a token resolved once per module (<c>LocalDeclarer</c>, in the local signature <c>IlWriter</c> builds):
    /// the compiled methods' local signatures read back with exactly those types, and the code runs (v128 locals and operand slots, a
    /// multi-value v128 result through the scratch array, a <c>call_indirect</c>, a metered self-recursive function's fuel-passing body
    /// and wrapper, 200 v128 locals: a two-byte local count).
    /// </summary>
    [Fact]
    public void LocalsOfRuntimeTypesAreDeclaredWithTheirTypes()
    {
        Assert.True(Compilation.IlWriter.Available, "the IL writer's fast path does not work on this runtime (the compiler falls back to ILGenerator: correct, slower): " + Compilation.IlWriter.ProbeFailure);
        CheckLocals();
    }

    /// <summary>The fallback (a runtime where the writer's probe fails): every method through <c>ILGenerator</c>, the same types and results.</summary>
    [Fact]
    public void LocalsDeclaredTheOrdinaryWayWhereTheFastPathIsUnavailable()
    {
        Compilation.IlWriter.ForceGenerator = true;
        try
        {
            CheckLocals();
        }
        finally
        {
            Compilation.IlWriter.ForceGenerator = false;
        }
    }

    private static void CheckLocals()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Table(1);
        uint three = b.Func(b.Type([], [V128, I32, V128]), [.. V128Const(1, 2, 3, 4), 0x41, 7, .. V128Const(10, 20, 30, 40)], export: "three");
        uint use = b.Func(b.Type([], [I32]),
            [0x10, (byte)three, 0x21, 1, 0x21, 0, 0x20, 1, .. SimdInstr(I32x4Add), 0x20, 0, .. SimdInstr(I32x4Splat), .. SimdInstr(I32x4Mul), .. SimdInstr(I32x4ExtractLane, 1)],
            locals: [I32, V128], export: "use");
        b.Elem(0, use);
        // apply(i) = table[i]() + memory[0]
        b.Func(b.Type([I32], [I32]), [0x20, 0, 0x11, (byte)b.Type([], [I32]), 0x00, 0x41, 0, 0x28, 2, 0, 0x6A], export: "apply");
        // many(k) = lane 0 of (local 150 = splat k) + local 199 (zero): 200 v128 locals, past the one-byte count of a local signature.
        b.FuncWithLocals(b.Type([I32], [I32]),
            [0x20, 0, .. SimdInstr(I32x4Splat), 0x21, .. U32(151), 0x20, .. U32(151), 0x20, .. U32(200), .. SimdInstr(I32x4Add), .. SimdInstr(I32x4ExtractLane, 0)],
            [(200, V128)], export: "many");
        // fact(n) = n < 2 ? 1 : n * fact(n - 1): metered and self-recursive, so a fuel-passing body f4b returning a
        // FuelResultI32 (declared in the body and in its wrapper f4) — the inlined copies' deepest calls are real.
        uint fact = b.Func(b.Type([I32], [I32]),
            [0x20, 0, 0x41, 2, 0x48, 0x04, 0x7F, 0x41, 1, 0x05, 0x20, 0, 0x20, 0, 0x41, 1, 0x6B, 0x10, 4, 0x6C, 0x0B], export: "fact");
        Assert.Equal(4u, fact);
        var m = CompiledModule.Compile(b.Build());
        var inst = m.Instantiate();
        Assert.Equal(-5, inst.GetFunction<Func<int, int>>("many")(-5));
        Assert.Equal((2 + 20) * 7, inst.GetFunction<Func<int>>("use")());
        Assert.Equal((2 + 20) * 7, inst.GetFunction<Func<int, int>>("apply")(0));
        Assert.Equal("undefined element", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int>>("apply")(1)).Message);
        Assert.Equal(479001600, inst.GetFunction<Func<int, int>>("fact")(12));

        Type[] allowed = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(nuint), typeof(object), typeof(byte[]), typeof(byte).MakeByRefType(),
            typeof(System.Runtime.Intrinsics.Vector128<byte>), typeof(Runtime.ExecState), typeof(Runtime.FunctionInstance), typeof(Runtime.FuelResultI32)];
        var locals = m.CodeHolder.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .ToDictionary(x => x.Name, x => x.GetMethodBody()!.LocalVariables.Select(l => l.LocalType).ToArray());
        Assert.Equal(6, locals.Count);
        foreach (var (name, types) in locals)
        {
            Assert.All(types, t => Assert.Contains(t, allowed));
            if (name != "f4") Assert.Contains(typeof(Runtime.ExecState), types); // f4 only wraps f4b
        }
        Assert.Equal([typeof(Runtime.FuelResultI32)], locals["f4"]);
        Assert.Contains(typeof(Runtime.FuelResultI32), locals["f4b"]);
        Assert.True(locals["f1"].Count(t => t == typeof(System.Runtime.Intrinsics.Vector128<byte>)) >= 2, string.Join(", ", locals["f1"].Select(t => t.Name)));
        Assert.Contains(typeof(Runtime.FunctionInstance), locals["f2"]);
        Assert.True(locals["f3"].Count(t => t == typeof(System.Runtime.Intrinsics.Vector128<byte>)) >= 200, string.Join(", ", locals["f3"].Select(t => t.Name)));
    }

    /// <summary>The token in a local's encoding is compressed as ECMA-335 II.23.2 says: 1, 2 or 4 bytes, tagged TypeDef 0, TypeRef 1, TypeSpec 2.</summary>
    [Fact]
    public void LocalEncodingCompressesTheToken()
    {
        Assert.Equal([0x12, 0x09], Compilation.LocalDeclarer.Encode(typeof(Runtime.ExecState), 0x01000002));
        Assert.Equal([0x12, 0x84, 0x01], Compilation.LocalDeclarer.Encode(typeof(Runtime.ExecState), 0x01000100)); // (256 << 2 | 1) = 0x401
        Assert.Equal([0x12, 0xC0, 0x04, 0x00, 0x01], Compilation.LocalDeclarer.Encode(typeof(Runtime.ExecState), 0x01010000));
        Assert.Equal([0x12, 0x08], Compilation.LocalDeclarer.Encode(typeof(Runtime.ExecState), 0x02000002)); // a TypeDef
        Assert.Equal([0x15, 0x11, 0x05, 0x01, 0x05], Compilation.LocalDeclarer.Encode(typeof(System.Runtime.Intrinsics.Vector128<byte>), 0x01000001));
        Assert.Equal([0x11, 0x09], Compilation.LocalDeclarer.Encode(typeof(Runtime.FuelResultI32), 0x01000002)); // VALUETYPE
        Assert.Equal([0x15, 0x11, 0x09, 0x01, 0x05], Compilation.LocalDeclarer.Encode(typeof(System.Runtime.Intrinsics.Vector256<byte>), 0x01000002));
        Assert.Equal([0x1D, 0x05], Compilation.LocalDeclarer.Encode(typeof(byte[]), 0));
        Assert.Equal([0x10, 0x05], Compilation.LocalDeclarer.Encode(typeof(byte).MakeByRefType(), 0));
        Assert.Equal([0x1D, 0x12, 0x09], Compilation.LocalDeclarer.Encode(typeof(Runtime.ExecState[]), 0x01000002));
        Assert.Throws<NotSupportedException>(() => Compilation.LocalDeclarer.Encode(typeof(int*), 0));
        Assert.Throws<NotSupportedException>(() => Compilation.LocalDeclarer.Encode(typeof(int[,]), 0));
    }
}
