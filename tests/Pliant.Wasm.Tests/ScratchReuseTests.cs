using System.Reflection;
using System.Reflection.Emit;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// The compiler's working arrays (facts per local, bounds and deferred values per stack position, the write
/// index, the cover plan) are reused by the thread's next function and next inlined copy at the same level
/// (FunctionCompiler.Scratch.cs, CoverPass): a function compiled after others on a thread must get exactly the IL
/// it gets on a fresh thread. The "dirty" module leaves every kind of state behind — facts with small bounds on
/// the locals the probes read, a stack deeper than the kept arrays, covered accesses, checked spans, a
/// self-recursive function inlined four levels deep — that would drop a bounds check in a probe if it leaked.
/// </summary>
public class ScratchReuseTests
{
    private const byte Loop = 0x03, End = 0x0B, BrIf = 0x0D, LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22, I32Load = 0x28, I32Store = 0x36, Drop = 0x1A;

    /// <summary>Functions that leave state: local facts (bound 100 on locals 0-3), a 300-deep stack, covered and spanned accesses, inlined fib.</summary>
    private static byte[] Dirty()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        uint t = b.Type([I32, I32], [I32]);
        var facts = new List<byte>();
        for (int l = 0; l < 4; l++) facts.AddRange([.. I32Const(100), LocalSet, (byte)l]);
        facts.AddRange([Loop, 0x40, LocalGet, 0, I32Load, 2, 0, LocalGet, 0, I32Load, 2, 4, 0x6A, LocalGet, 0, I32Load, 2, 8, 0x6A, LocalSet, 1,
            LocalGet, 1, LocalGet, 0, I32Store, 2, 12, LocalGet, 1, .. I32Const(1), 0x6B, LocalTee, 1, BrIf, 0, End, LocalGet, 1]);
        b.Func(t, [.. facts], [I32, I32], export: "facts");
        var deep = new List<byte>();
        for (int i = 0; i < 300; i++) deep.AddRange(I32Const(i & 7));
        for (int i = 0; i < 299; i++) deep.Add(Drop);
        b.Func(t, [.. deep], export: "deep");
        // fib(n): n < 2 ? n : fib(n - 1) + fib(n - 2), inlined into itself.
        uint fib = 2;
        b.Func(b.Type([I32], [I32]), [LocalGet, 0, .. I32Const(2), 0x48, 0x04, 0x7F, LocalGet, 0, 0x05,
            LocalGet, 0, .. I32Const(1), 0x6B, 0x10, (byte)fib, LocalGet, 0, .. I32Const(2), 0x6B, 0x10, (byte)fib, 0x6A, End], export: "fib");
        // Last to plan covered accesses: three loads at local 0 in a loop, the second and third covered by the first's check.
        b.Func(t, CoverShape(0), export: "cover");
        return b.Build();
    }

    /// <summary>Probes: accesses at parameters (unknown: checked), in loops (cover plans), through locals the dirty module had facts for.</summary>
    private static byte[] Probe()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        uint t = b.Type([I32, I32], [I32]);
        // First to plan: the dirty module's cover shape with its third load at local 1, which nothing covers.
        b.Func(t, CoverShape(1), export: "p3");
        b.Func(t, [Loop, 0x7F, LocalGet, 0, I32Load, 2, 0, LocalGet, 0, I32Load, 2, 4, 0x6A, LocalGet, 1, .. I32Const(1), 0x6B, LocalTee, 1, BrIf, 1, End], export: "p0");
        b.Func(t, [LocalGet, 2, LocalGet, 3, 0x6A, LocalGet, 0, I32Load, 2, 0, 0x6A, LocalGet, 1, I32Load, 2, 0, 0x6A], [I32, I32], export: "p1");
        b.Func(t, [LocalGet, 0, I32Load, 2, 0, LocalGet, 0, I32Load, 2, 4, 0x6A, LocalGet, 0, LocalGet, 1, I32Store, 2, 8], export: "p2");
        return b.Build();
    }

    /// <summary>A loop loading at local 0 + 0, local 0 + 4 and local <paramref name="third"/> + 8, counting local 1 down.</summary>
    private static byte[] CoverShape(byte third) =>
        [Loop, 0x40, LocalGet, 0, I32Load, 2, 0, LocalGet, 0, I32Load, 2, 4, 0x6A, LocalGet, third, I32Load, 2, 8, 0x6A, Drop,
            LocalGet, 1, .. I32Const(1), 0x6B, LocalTee, 1, BrIf, 0, End, LocalGet, 1];

    [Fact]
    public void AFunctionCompiledAfterOthersOnAThreadGetsTheILOfAFreshThread()
    {
        var probe = Probe();
        string fresh = OnFreshThread(() => ILOf(CompiledModule.Compile(probe)));
        string afterDirty = OnFreshThread(() =>
        {
            CompiledModule.Compile(Dirty());
            return ILOf(CompiledModule.Compile(probe));
        });
        string twice = OnFreshThread(() =>
        {
            CompiledModule.Compile(probe);
            CompiledModule.Compile(Dirty());
            CompiledModule.Compile(probe);
            return ILOf(CompiledModule.Compile(probe));
        });
        Assert.Equal(fresh, afterDirty);
        Assert.Equal(fresh, twice);
        // Each probe's accesses stay checked: out of bounds they trap (a leaked fact would have dropped the check).
        var inst = OnFreshThread(() =>
        {
            CompiledModule.Compile(Dirty());
            return CompiledModule.Compile(probe).Instantiate();
        });
        foreach (var name in (string[])["p0", "p1", "p2", "p3"])
        {
            var f = inst.GetFunction<Func<int, int, int>>(name);
            Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(70000, 70000)).Message);
        }
    }

    [Fact]
    public void TheDirtyModuleItselfCompilesTheSameAfterAFailedCompile()
    {
        // A compile that throws midway (too many frame slots) leaves its working arrays dirty: the next is unaffected.
        var fresh = OnFreshThread(() => ILOf(CompiledModule.Compile(Dirty())));
        var after = OnFreshThread(() =>
        {
            var limits = WasmLimits.Default with { MaxFrameSlots = 8 };
            Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(Dirty(), limits));
            return ILOf(CompiledModule.Compile(Dirty()));
        });
        Assert.Equal(fresh, after);
        var fib = CompiledModule.Compile(Dirty()).Instantiate().GetFunction<Func<int, int>>("fib");
        Assert.Equal(6765, fib(20));
    }

    private static T OnFreshThread<T>(Func<T> f)
    {
        T result = default!;
        Exception? error = null;
        var th = new Thread(() =>
        {
            try { result = f(); }
            catch (Exception e) { error = e; }
        }, 16 << 20);
        th.Start();
        Assert.True(th.Join(TimeSpan.FromMinutes(2)), "compile thread did not finish");
        if (error != null) throw new Exception("on the compile thread", error);
        return result;
    }

    private static readonly Dictionary<short, OpCode> Ops = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Every method's IL with its tokens resolved to names (tokens differ between the modules' batches), and its locals.</summary>
    private static string ILOf(CompiledModule m)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var mi in m.CodeHolder.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly).OrderBy(x => x.Name))
        {
            var body = mi.GetMethodBody()!;
            sb.Append(mi.Name).Append(" locals ").AppendJoin(",", body.LocalVariables.Select(l => l.LocalType.Name)).Append('\n');
            var il = body.GetILAsByteArray()!;
            for (int i = 0; i < il.Length;)
            {
                short v = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
                var op = Ops[v];
                i += op.Size;
                sb.Append(op.Name);
                switch (op.OperandType)
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: sb.Append(' ').Append(il[i]); i += 1; break;
                    case OperandType.InlineVar: sb.Append(' ').Append(BitConverter.ToInt16(il, i)); i += 2; break;
                    case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR: sb.Append(' ').Append(BitConverter.ToInt32(il, i)); i += 4; break;
                    case OperandType.InlineI8 or OperandType.InlineR: sb.Append(' ').Append(BitConverter.ToInt64(il, i)); i += 8; break;
                    case OperandType.InlineSwitch:
                    {
                        int n = BitConverter.ToInt32(il, i);
                        i += 4;
                        for (int k = 0; k < n; k++, i += 4) sb.Append(' ').Append(BitConverter.ToInt32(il, i));
                        break;
                    }
                    case OperandType.InlineSig: sb.Append(' ').Append(Convert.ToHexString(mi.Module.ResolveSignature(BitConverter.ToInt32(il, i)))); i += 4; break;
                    default:
                    {
                        var member = mi.Module.ResolveMember(BitConverter.ToInt32(il, i))!;
                        sb.Append(' ').Append(member.DeclaringType == mi.DeclaringType ? "holder" : member.DeclaringType?.FullName).Append("::").Append(member.Name);
                        i += 4;
                        break;
                    }
                }
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
