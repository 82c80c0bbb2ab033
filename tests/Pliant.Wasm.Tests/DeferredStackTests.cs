using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// <c>local.get</c> and constants are not copied onto the operand stack when executed: the consumer reads the
/// local later (FunctionCompiler.Lazy.cs). A write to the local in between must not change the value the
/// stack holds (spec §4.4.5: local.get pushes the value the local has then).
/// </summary>
public class DeferredStackTests
{
    private static Func<int, int> Compile(byte[] code, uint extraLocals = 1)
    {
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([I32], [I32]), code, [(extraLocals, I32)], export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
    }

    [Fact]
    public void ASetAfterAGetLeavesTheOldValueOnTheStack()
    {
        // local.get 0; local.set 0 = 5; local.get 0; i32.sub: p - 5 (parameter) and the same through local 1.
        Assert.Equal(37, Compile([0x20, 0, .. I32Const(5), 0x21, 0, 0x20, 0, 0x6B])(42));
        Assert.Equal(37, Compile([0x20, 0, 0x21, 1, 0x20, 1, .. I32Const(5), 0x21, 1, 0x20, 1, 0x6B])(42));
    }

    [Fact]
    public void ATeeAfterAGetLeavesTheOldValueOnTheStack()
    {
        // local.get 0; (local.get 0; i32.const 1; i32.add; local.tee 0); i32.mul; local.get 0; i32.add: p * (p + 1) + p + 1
        Assert.Equal(7 * 8 + 8, Compile([0x20, 0, 0x20, 0, .. I32Const(1), 0x6A, 0x22, 0, 0x6C, 0x20, 0, 0x6A])(7));
        // local.get 1 (0); local.get 0; local.tee 0 (no-op); local.tee 1; i32.sub: 0 - p; + local 1 (now p): 0
        Assert.Equal(0, Compile([0x20, 1, 0x20, 0, 0x22, 0, 0x22, 1, 0x6B, 0x20, 1, 0x6A])(9));
    }

    [Fact]
    public void ALocalPlusAConstantIsTheSumFromBeforeAWriteOfTheLocal()
    {
        // local.get 0; i32.const 5; i32.add stays deferred as p + 5 (not foldable into an address: p unbounded):
        // p = 1000 in between, then (p + 5) - p; with p near 2^31 the sum wraps.
        byte[] afterSet = [0x20, 0, .. I32Const(5), 0x6A, .. I32Const(1000), 0x21, 0, 0x20, 0, 0x6B];
        Assert.Equal(42 + 5 - 1000, Compile(afterSet)(42));
        Assert.Equal(unchecked(int.MaxValue + 5 - 1000), Compile(afterSet)(int.MaxValue));
        // The sum written into its own local by a tee, then read again: p + 5, twice.
        Assert.Equal(2 * (7 + 5), Compile([0x20, 0, .. I32Const(5), 0x6A, 0x22, 0, 0x20, 0, 0x6A])(7));
        // Into another local (its copy read later), then the base changed: (p + 5) + (p + 5) - 1.
        Assert.Equal(2 * 12 - 1, Compile([0x20, 0, .. I32Const(5), 0x6A, 0x21, 1, 0x20, 1, .. I32Const(1), 0x21, 0, 0x20, 1, 0x6A, 0x20, 0, 0x6B])(7));
        // Kept under a block that writes the base: (p + 5) + 9.
        Assert.Equal(7 + 5 + 9, Compile([0x20, 0, .. I32Const(5), 0x6A, 0x02, 0x40, .. I32Const(9), 0x21, 0, 0x0B, 0x20, 0, 0x6A])(7));
    }

    [Fact]
    public void DeferredValuesCrossBlocksAndBranches()
    {
        // local.get 0; block: local.set 0 = 9; end; local.get 0; i32.add: p + 9
        Assert.Equal(109, Compile([0x20, 0, 0x02, 0x40, .. I32Const(9), 0x21, 0, 0x0B, 0x20, 0, 0x6A])(100));
        // local.get 0 under a block (result i32) that branches out with p when p != 0, else ends with 4;
        // then p = 0: the old p plus the block's result.
        Assert.Equal(6, Compile([
            0x20, 0,                                          // the old p, kept deferred under the block
            0x02, 0x7F, 0x20, 0, 0x20, 0, 0x0D, 0, 0x1A, .. I32Const(4), 0x0B, // p if p != 0, else 4
            .. I32Const(0), 0x21, 0,                          // p = 0
            0x6A,
        ])(3));
        Assert.Equal(4, Compile([0x20, 0, 0x02, 0x7F, 0x20, 0, 0x20, 0, 0x0D, 0, 0x1A, .. I32Const(4), 0x0B, .. I32Const(0), 0x21, 0, 0x6A])(0));
        // select over deferred operands: p ? local 1 : 11, with local 1 changed after the gets
        Assert.Equal(11, Compile([.. I32Const(5), 0x21, 1, 0x20, 1, .. I32Const(11), 0x20, 0, .. I32Const(6), 0x21, 1, 0x1B])(0));
        Assert.Equal(5, Compile([.. I32Const(5), 0x21, 1, 0x20, 1, .. I32Const(11), 0x20, 0, .. I32Const(6), 0x21, 1, 0x1B])(1));
    }

    [Fact]
    public void DeferredValuesLiveAcrossALoop()
    {
        // local.get 0 stays under a loop that counts p down to zero: the old p, plus 0.
        Assert.Equal(12, Compile([
            0x20, 0,
            0x03, 0x40, 0x20, 0, .. I32Const(1), 0x6B, 0x22, 0, 0x0D, 0, 0x0B,
            0x20, 0, 0x6A,
        ])(12));
    }

    [Fact]
    public void ALocalHoldingASumForgetsItWhenEitherLocalIsWritten()
    {
        // local 1 = p & 0xFF; local 2 = local 1 + 100 (kept as "local 1 + 100" for later gets); then a write to
        // local 1 (or to local 2) must end that: the result is the stored sum (or the new value), plus a load.
        static Func<int, int> Build(byte[] write)
        {
            var b = new ModuleBuilder();
            b.Memory(1);
            b.FuncWithLocals(b.Type([I32], [I32]), [
                0x20, 0, .. I32Const(0xFF), 0x71, 0x21, 1,
                0x20, 1, .. I32Const(100), 0x6A, 0x21, 2,
                .. write,
                0x20, 2, 0x20, 2, 0x2D, 0, 0, 0x6A,           // local 2 + memory[local 2] (zero)
            ], [(2u, I32)], export: "f");
            return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
        }
        Assert.Equal(105, Build([])(5));
        Assert.Equal(105, Build([.. I32Const(7), 0x21, 1])(5));
        Assert.Equal(105, Build([.. I32Const(7), 0x22, 1, 0x1A])(5));
        Assert.Equal(3, Build([.. I32Const(3), 0x21, 2])(5));
        Assert.Equal(3 + 0xFF + 100, Build([0x20, 2, .. I32Const(3), 0x21, 2, 0x20, 2, 0x6A, 0x21, 2])(-1));
    }
}
