using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.Intrinsics;
using Pliant.Wasm.Compilation;

namespace Pliant.Wasm.Tests;

/// <summary>
/// The compiler's own IL writer (<see cref="IlWriter"/>): methods written by it on a throwaway type read back with
/// the bytes, max stack and locals written and run (labels both ways, switch, locals of every kind the compiler
/// declares, a 64 KiB body, buffers grown inside an instruction), bad use fails with a precise error, and compiled
/// modules get the same IL as through <see cref="ILGenerator"/> (the fallback path).
/// </summary>
public class IlWriterTests
{
    /// <summary>A type in a fresh collectible assembly, a writer for it, and its module.</summary>
    private static (TypeBuilder Type, IlWriter Writer) NewType()
    {
        var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("IlWriterTest"), AssemblyBuilderAccess.RunAndCollect);
        var module = ab.DefineDynamicModule("t");
        var tb = module.DefineType("T", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Abstract);
        return (tb, new IlWriter(new MemberTokens(module)));
    }

    private static MethodBuilder Method(TypeBuilder tb, string name, Type ret, params Type[] ps)
    {
        var mb = tb.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static, ret, ps);
        mb.InitLocals = false;
        return mb;
    }

    /// <summary>
    /// acc = 0; top: if (arg0 == 0) goto done (a forward brfalse, long form); <paramref name="body"/>(acc); arg0 -= 1;
    /// <paramref name="back"/> top; done: return acc.
    /// </summary>
    private static void CountDown(IlWriter w, OpCode back, Action<LocalBuilder> body)
    {
        var acc = w.DeclareLocal(typeof(int));
        Label top = w.DefineLabel(), done = w.DefineLabel();
        w.Emit(OpCodes.Ldc_I4_0);
        w.Emit(OpCodes.Stloc, acc);
        w.MarkLabel(top);
        w.Emit(OpCodes.Ldarg_0);
        w.Emit(OpCodes.Brfalse, done);
        body(acc);
        w.Emit(OpCodes.Ldarg_0);
        w.Emit(OpCodes.Ldc_I4_1);
        w.Emit(OpCodes.Sub);
        w.Emit(OpCodes.Starg_S, (byte)0);
        w.Emit(back, top);
        w.MarkLabel(done);
        w.Emit(OpCodes.Ldloc, acc);
        w.Emit(OpCodes.Ret);
    }

    [Fact]
    public void FastPathIsAvailable() => Assert.True(IlWriter.Available, IlWriter.ProbeFailure);

    /// <summary>sum(n) = n + (n-1) + ... + 1 by a backward branch, the exit by a forward one; a short form for the back edge.</summary>
    [Fact]
    public void LabelsForwardAndBackward()
    {
        var (tb, w) = NewType();
        w.Begin(Method(tb, "sum", typeof(int), typeof(int)), 16);
        CountDown(w, OpCodes.Br_S, acc =>
        {
            w.Emit(OpCodes.Ldloc, acc);
            w.Emit(OpCodes.Ldarg_0);
            w.Emit(OpCodes.Add);
            w.Emit(OpCodes.Stloc, acc);
        });
        w.Finish();
        var m = tb.CreateType().GetMethod("sum")!;
        Assert.Equal(5050, (int)m.Invoke(null, [100])!);
        var il = m.GetMethodBody()!.GetILAsByteArray()!;
        // ldc.i4.0 stloc.0 | ldarg.0 brfalse <+11> | ... | br.s <back to offset 2>
        Assert.Equal([0x16, 0x0A, 0x02, 0x39], il[..4]);
        Assert.Equal(11, BitConverter.ToInt32(il, 4)); // from the end of brfalse (offset 8) to done (19)
        Assert.Equal(0x2B, il[^4]);
        Assert.Equal(unchecked((byte)(2 - (il.Length - 2))), il[^3]); // from the end of br.s back to offset 2
    }

    /// <summary>A switch over three labels and its fall-through (ECMA-335 III.3.66: distances from the end of the instruction).</summary>
    [Fact]
    public void SwitchJumpsToEachCaseAndFallsThrough()
    {
        var (tb, w) = NewType();
        w.Begin(Method(tb, "pick", typeof(int), typeof(int)), 16);
        var cases = new[] { w.DefineLabel(), w.DefineLabel(), w.DefineLabel() };
        w.Emit(OpCodes.Ldarg_0);
        w.Emit(OpCodes.Switch, cases);
        w.Emit(OpCodes.Ldc_I4, -1);
        w.Emit(OpCodes.Ret);
        for (int i = 0; i < cases.Length; i++)
        {
            w.MarkLabel(cases[i]);
            w.Emit(OpCodes.Ldc_I4, 100 * (i + 1));
            w.Emit(OpCodes.Ret);
        }
        w.Finish();
        var pick = tb.CreateType().GetMethod("pick")!;
        Assert.Equal([-1, 100, 200, 300, -1, -1], new[] { -5, 0, 1, 2, 3, int.MaxValue }.Select(x => (int)pick.Invoke(null, [x])!));
    }

    /// <summary>
    /// The max stack is the deepest the IL gets: values pushed in a row, and values carried on the stack into a label
    /// by a branch (the depth at a label is the branch's, also after an unconditional jump).
    /// </summary>
    [Fact]
    public void MaxStackIsTheDeepestPoint()
    {
        var (tb, w) = NewType();
        w.Begin(Method(tb, "deep", typeof(int)), 16);
        for (int i = 1; i <= 40; i++) w.Emit(OpCodes.Ldc_I4, i);
        for (int i = 1; i < 40; i++) w.Emit(OpCodes.Add);
        w.Emit(OpCodes.Ret);
        w.Finish();
        w.Begin(Method(tb, "carried", typeof(int), typeof(int)), 16);
        var join = w.DefineLabel();
        w.Emit(OpCodes.Ldc_I4_1);
        w.Emit(OpCodes.Ldc_I4_2);
        w.Emit(OpCodes.Ldarg_0);
        w.Emit(OpCodes.Brtrue, join); // two values carried
        w.Emit(OpCodes.Pop);
        w.Emit(OpCodes.Ldc_I4_5);
        w.MarkLabel(join);
        w.Emit(OpCodes.Ldc_I4_3); // depth 3 here
        w.Emit(OpCodes.Add);
        w.Emit(OpCodes.Add);
        w.Emit(OpCodes.Ret);
        w.Finish();
        var t = tb.CreateType();
        Assert.Equal(40 * 41 / 2, (int)t.GetMethod("deep")!.Invoke(null, null)!);
        Assert.Equal(40, t.GetMethod("deep")!.GetMethodBody()!.MaxStackSize);
        Assert.Equal(6, (int)t.GetMethod("carried")!.Invoke(null, [1])!);
        Assert.Equal(9, (int)t.GetMethod("carried")!.Invoke(null, [0])!);
        Assert.Equal(3, t.GetMethod("carried")!.GetMethodBody()!.MaxStackSize);
    }

    /// <summary>Every type of local the compiler declares, 300 of them (two-byte count, long ldloc/stloc/ldloca forms), read back in order.</summary>
    [Fact]
    public void LocalsOfEveryKindReadBackInOrder()
    {
        Type[] kinds = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(nuint), typeof(object), typeof(byte[]), typeof(byte).MakeByRefType(),
            typeof(Vector128<byte>), typeof(Vector256<byte>), typeof(Runtime.ExecState), typeof(Runtime.FunctionInstance),
            typeof(Runtime.FuelResultI32), typeof(Runtime.FuelResultI64), typeof(Runtime.FuelResultF32), typeof(Runtime.FuelResultF64)];
        var (tb, w) = NewType();
        w.Begin(Method(tb, "m", typeof(long), typeof(long)), 16);
        var declared = new List<LocalBuilder>();
        while (declared.Count < 300) declared.Add(w.DeclareLocal(kinds[declared.Count % kinds.Length]));
        var last = declared.FindLast(l => l.LocalType == typeof(long))!;
        Assert.True(last.LocalIndex > 255);
        w.Emit(OpCodes.Ldarg_0);
        w.Emit(OpCodes.Stloc, last);
        w.Emit(OpCodes.Ldloca, last);
        w.Emit(OpCodes.Ldind_I8);
        w.Emit(OpCodes.Ldloc, last);
        w.Emit(OpCodes.Add);
        w.Emit(OpCodes.Ret);
        w.Finish();
        var m = tb.CreateType().GetMethod("m")!;
        Assert.Equal(2 * 21L, (long)m.Invoke(null, [21L])!);
        var locals = m.GetMethodBody()!.LocalVariables;
        Assert.Equal(declared.Select(l => l.LocalType), locals.Select(l => l.LocalType));
        Assert.Equal(Enumerable.Range(0, 300), declared.Select(l => l.LocalIndex));
        Assert.False(m.GetMethodBody()!.InitLocals);
    }

    /// <summary>
    /// A 64 KiB body (16 Ki increments) with a branch over all of it and back, through the first 4 KiB buffer many
    /// times; then a switch of 3000 cases (12 KB of table) whose table outgrows the buffer inside the instruction.
    /// </summary>
    [Fact]
    public void LargeBodiesOutgrowTheBuffer()
    {
        var (tb, w) = NewType();
        w.Begin(Method(tb, "big", typeof(int), typeof(int)), 16);
        CountDown(w, OpCodes.Br, acc =>
        {
            for (int i = 0; i < 16 * 1024; i++)
            {
                w.Emit(OpCodes.Ldloc, acc); // 1 + 1 + 1 + 1 bytes
                w.Emit(OpCodes.Ldc_I4_1);
                w.Emit(OpCodes.Add);
                w.Emit(OpCodes.Stloc, acc);
            }
        });
        w.Finish();

        w.Begin(Method(tb, "table", typeof(int), typeof(int)), 16);
        var cases = Enumerable.Range(0, 3000).Select(_ => w.DefineLabel()).ToArray();
        w.Emit(OpCodes.Ldarg_0);
        w.Emit(OpCodes.Switch, cases);
        w.Emit(OpCodes.Ldc_I4_M1);
        w.Emit(OpCodes.Ret);
        for (int i = 0; i < cases.Length; i++)
        {
            w.MarkLabel(cases[i]);
            w.Emit(OpCodes.Ldc_I4, 7 * i);
            w.Emit(OpCodes.Ret);
        }
        w.Finish();

        var t = tb.CreateType();
        var big = t.GetMethod("big")!;
        Assert.True(big.GetMethodBody()!.GetILAsByteArray()!.Length >= 64 * 1024);
        Assert.Equal(3 * 16 * 1024, (int)big.Invoke(null, [3])!);
        var table = t.GetMethod("table")!;
        Assert.Equal([-1, 0, 7, 7 * 1234, 7 * 2999, -1], new[] { -1, 0, 1, 1234, 2999, 3000 }.Select(x => (int)table.Invoke(null, [x])!));
    }

    /// <summary>A label branched to but never placed, one placed twice, a short branch that cannot reach: each a precise error, as ILGenerator's.</summary>
    [Fact]
    public void BadLabelsFailPrecisely()
    {
        var (tb, w) = NewType();
        w.Begin(Method(tb, "a", typeof(void)), 16);
        var never = w.DefineLabel();
        w.Emit(OpCodes.Br, never);
        Assert.Contains("never marked", Assert.Throws<InvalidOperationException>(w.Finish).Message);

        w.Begin(Method(tb, "b", typeof(void)), 16);
        var twice = w.DefineLabel();
        w.MarkLabel(twice);
        Assert.Contains("marked twice", Assert.Throws<ArgumentException>(() => w.MarkLabel(twice)).Message);

        w.Begin(Method(tb, "c", typeof(void)), 16);
        var far = w.DefineLabel();
        w.Emit(OpCodes.Br_S, far);
        for (int i = 0; i < 200; i++) w.Emit(OpCodes.Nop);
        w.MarkLabel(far);
        w.Emit(OpCodes.Ret);
        Assert.Contains("cannot reach 200", Assert.Throws<NotSupportedException>(w.Finish).Message);

        w.Begin(Method(tb, "d", typeof(void)), 16);
        Assert.Contains("not defined", Assert.Throws<ArgumentException>(() => w.Emit(OpCodes.Br, default(Label))).Message);
    }

    /// <summary>
    /// The compiled bench modules (every compiler feature they exercise: loops, br_table, calls, call_indirect, memory,
    /// SIMD, vectorised loops, fuel-passing bodies) get the same IL and locals through the writer as through the
    /// <see cref="ILGenerator"/> fallback, instruction by instruction with tokens resolved; the writer's max stack is
    /// ILGenerator's rule for the old token calls (at or above the fallback's exact count); the fallback's code runs.
    /// </summary>
    [Theory]
    [InlineData("workloads.wasm")]
    [InlineData("workloads-simd.wasm")]
    public void SameIlAsThroughIlGenerator(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) dir = dir.Parent;
        var bytes = File.ReadAllBytes(Path.Combine(dir!.FullName, "bench", "wasm", "vsnode", file));
        var fast = CompiledModule.Compile(bytes);
        CompiledModule slow;
        IlWriter.ForceGenerator = true;
        try { slow = CompiledModule.Compile(bytes); }
        finally { IlWriter.ForceGenerator = false; }
        var fastMethods = Methods(fast);
        var slowMethods = Methods(slow);
        Assert.Equal(slowMethods.Keys.Order(), fastMethods.Keys.Order());
        foreach (var (name, f) in fastMethods)
        {
            var s = slowMethods[name];
            var fb = f.GetMethodBody()!;
            var sb = s.GetMethodBody()!;
            Assert.Equal(Normalise(s, sb.GetILAsByteArray()!), Normalise(f, fb.GetILAsByteArray()!));
            Assert.Equal(sb.LocalVariables.Select(l => l.LocalType), fb.LocalVariables.Select(l => l.LocalType));
            Assert.True(fb.MaxStackSize >= sb.MaxStackSize, $"{name}: max stack {fb.MaxStackSize} below the fallback's {sb.MaxStackSize}");
            Assert.False(fb.InitLocals);
            Assert.Equal(s.MethodImplementationFlags, f.MethodImplementationFlags);
        }
        var imports = new Runtime.Imports().Function("env", "host_empty", () => { });
        foreach (var (kernel, n) in new[] { ("int_math", 300), ("interp", 200), ("checksum", 1), ("recursion", 1) })
            Assert.Equal(fast.Instantiate(imports).GetFunction<Func<int, int>>(kernel)(n), slow.Instantiate(imports).GetFunction<Func<int, int>>(kernel)(n));
    }

    /// <summary>Compiles on four threads at once (each takes its own batch and writer): every module's code is right.</summary>
    [Fact]
    public void ConcurrentCompilesGetTheirOwnWriters()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([ModuleBuilder.I32], [ModuleBuilder.I32]);
        // f_k(n) = n * 3 + 1 + k.
        for (int k = 0; k < 8; k++)
            b.Func(t, [0x20, 0, 0x41, 3, 0x6C, 0x41, 1, 0x6A, 0x41, (byte)k, 0x6A], export: "f" + k);
        var bytes = b.Build();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (int round = 0; round < 25; round++)
            {
                var inst = CompiledModule.Compile(bytes).Instantiate();
                for (int k = 0; k < 8; k++)
                {
                    int got = inst.GetFunction<Func<int, int>>("f" + k)(worker + round);
                    if (got != (worker + round) * 3 + 1 + k) failures.Add($"worker {worker} round {round} f{k}: {got}");
                }
            }
        });
        Assert.Empty(failures);
    }

    /// <summary>
    /// Every instruction without an operand (the one- and two-byte opcodes of <see cref="OpCodes"/>) is written as its
    /// <see cref="OpCode.Value"/>: the writer reads the value from the struct itself where every member of
    /// <see cref="OpCodes"/> holds it there (true on this runtime), through <see cref="OpCode.Value"/> otherwise.
    /// </summary>
    [Fact]
    public void EveryOpcodeIsWrittenAsItsValue()
    {
        Assert.True(IlWriter.ReadsOpCodeValueInPlace);
        var (tb, w) = NewType();
        int checkedOps = 0;
        foreach (var op in Ops.Values.Where(o => o.OperandType == OperandType.InlineNone && o.Size > 0))
        {
            w.Begin(Method(tb, "m" + checkedOps++, typeof(void)), 16);
            w.Emit(op);
            byte[] expected = op.Size == 2 ? [0xFE, (byte)op.Value] : [(byte)op.Value];
            Assert.Equal(expected, w.Written.ToArray());
        }
        Assert.True(checkedOps > 140, $"{checkedOps} opcodes checked");
    }

    /// <summary>
    /// Every compiled method, wrappers and fuel-passing bodies included, is fully optimised at first call and does not
    /// zero its frame, whether its flags were stored by the writer (fast path, one native call fewer) or set through
    /// <see cref="MethodBuilder.SetImplementationFlags"/> (the fallback).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CompiledMethodsAreFullyOptimisedWithoutZeroedFrames(bool fallback)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) dir = dir.Parent;
        var bytes = File.ReadAllBytes(Path.Combine(dir!.FullName, "bench", "wasm", "vsnode", "workloads.wasm"));
        IlWriter.ForceGenerator = fallback;
        CompiledModule module;
        try { module = CompiledModule.Compile(bytes); }
        finally { IlWriter.ForceGenerator = false; }
        var methods = Methods(module);
        Assert.Contains(methods.Keys, name => name.EndsWith('b')); // a fuel-passing body (the recursion kernel)
        foreach (var (name, m) in methods)
        {
            Assert.True(m.MethodImplementationFlags == MethodImplAttributes.AggressiveOptimization, $"{name}: {m.MethodImplementationFlags}");
            Assert.False(m.GetMethodBody()!.InitLocals, name);
        }
    }

    /// <summary>
    /// <c>MemberTokens</c> answers every member with the module's own token, however many share a slot of its recent
    /// table (300 methods and 50 fields for 128 slots), on repeated lookups, and after compacting collections that may
    /// move the reflection objects (whose addresses pick the slots): the table is a hint, the identity check decides.
    /// </summary>
    [Fact]
    public void MemberTokensAreRightWhateverTheSlots()
    {
        var ab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("MemberTokensTest"), AssemblyBuilderAccess.RunAndCollect);
        var module = ab.DefineDynamicModule("t");
        var tokens = new MemberTokens(module);
        var methods = new[] { typeof(Math), typeof(MathF), typeof(Convert) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static)).Where(m => !m.IsGenericMethodDefinition).Take(300).ToArray();
        var fields = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Take(50).ToArray();
        Assert.Equal(300, methods.Length);
        var expectedMethods = methods.Select(m => module.GetMethodMetadataToken(m)).ToArray();
        var expectedFields = fields.Select(f => module.GetFieldMetadataToken(f)).ToArray();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < methods.Length; i++)
            {
                var (token, delta) = tokens.MethodToken(methods[i]);
                Assert.Equal(expectedMethods[i], token);
                Assert.Equal((methods[i].ReturnType != typeof(void) ? 1 : 0) - methods[i].GetParameters().Length, delta);
            }
            for (int i = 0; i < fields.Length; i++) Assert.Equal(expectedFields[i], tokens.FieldToken(fields[i]));
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    private static Dictionary<string, MethodInfo> Methods(CompiledModule m) =>
        m.CodeHolder.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).ToDictionary(x => x.Name);

    private static readonly Dictionary<short, OpCode> Ops = typeof(OpCodes).GetFields().Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The IL as text, one instruction a line, with tokens resolved to what they name (two modules number them apart).</summary>
    private static string Normalise(MethodInfo method, byte[] il)
    {
        var module = method.Module;
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < il.Length;)
        {
            var op = Ops[il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i]];
            i += op.Size;
            text.Append(op.Name);
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget: case OperandType.ShortInlineI: case OperandType.ShortInlineVar: text.Append(' ').Append(il[i]); i += 1; break;
                case OperandType.InlineVar: text.Append(' ').Append(BitConverter.ToInt16(il, i)); i += 2; break;
                case OperandType.InlineBrTarget: case OperandType.InlineI: case OperandType.ShortInlineR: text.Append(' ').Append(BitConverter.ToInt32(il, i)); i += 4; break;
                case OperandType.InlineI8: case OperandType.InlineR: text.Append(' ').Append(BitConverter.ToInt64(il, i)); i += 8; break;
                case OperandType.InlineSwitch:
                    int n = BitConverter.ToInt32(il, i);
                    i += 4;
                    text.Append(' ').Append(n);
                    for (int k = 0; k < n; k++, i += 4) text.Append(',').Append(BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineSig: text.Append(' ').Append(Convert.ToHexString(module.ResolveSignature(BitConverter.ToInt32(il, i)))); i += 4; break;
                default:
                    var member = module.ResolveMember(BitConverter.ToInt32(il, i))!;
                    text.Append(' ').Append(member.DeclaringType == method.DeclaringType ? "this" : member.DeclaringType?.Name).Append("::").Append(member); // each compile names its type
                    i += 4;
                    break;
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
