using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Decoding;

/// <summary>What a 0xFD-prefixed (SIMD) instruction takes, returns and carries as immediates.</summary>
internal enum SimdKind : byte
{
    /// <summary>Not a WebAssembly 2.0 SIMD opcode.</summary>
    None,
    /// <summary>[i32] -> [v128], memarg.</summary>
    Load,
    /// <summary>[i32 v128] -> [], memarg.</summary>
    Store,
    /// <summary>[i32 v128] -> [v128], memarg and lane index.</summary>
    LoadLane,
    /// <summary>[i32 v128] -> [], memarg and lane index.</summary>
    StoreLane,
    /// <summary>[] -> [v128], 16 bytes.</summary>
    Const,
    /// <summary>[v128 v128] -> [v128], 16 lane indices below 32.</summary>
    Shuffle,
    /// <summary>[v128] -> [scalar], lane index.</summary>
    Extract,
    /// <summary>[v128 scalar] -> [v128], lane index.</summary>
    Replace,
    /// <summary>[scalar] -> [v128].</summary>
    Splat,
    /// <summary>[v128] -> [v128].</summary>
    Unary,
    /// <summary>[v128 v128] -> [v128].</summary>
    Binary,
    /// <summary>[v128 v128 v128] -> [v128].</summary>
    Ternary,
    /// <summary>[v128] -> [i32].</summary>
    Test,
    /// <summary>[v128 i32] -> [v128].</summary>
    Shift,
}

/// <summary>
/// One SIMD opcode: its kind, the bytes a memory access touches (loads and stores) or the number of
/// lanes (lane immediates), the scalar type of splat/extract/replace, and the <see cref="V128Ops"/>
/// method that implements it.
/// </summary>
internal readonly record struct SimdOp(SimdKind Kind, byte Size, ValType Scalar, string Helper)
{
    /// <summary>Lane count of a lane-indexed memory access (16 bytes / access size).</summary>
    public int MemoryLanes => 16 / Size;
}

/// <summary>The WebAssembly 2.0 SIMD opcodes (spec §5.4.8, 0xFD prefix, u32 sub-opcode 0..255).</summary>
internal static class SimdOpInfo
{
    private static readonly SimdOp[] Table = Build();

    /// <summary>The opcode <paramref name="sub"/>; <see cref="SimdKind.None"/> when it is not one.</summary>
    public static SimdOp Get(uint sub) => sub < (uint)Table.Length ? Table[sub] : default;

    /// <summary>True for the instructions that access linear memory.</summary>
    public static bool IsMemory(uint sub) => Get(sub).Kind is SimdKind.Load or SimdKind.Store or SimdKind.LoadLane or SimdKind.StoreLane;

    private static SimdOp[] Build()
    {
        var t = new SimdOp[256];
        const ValType I = ValType.I32, L = ValType.I64, F = ValType.F32, D = ValType.F64, N = ValType.Unknown;
        void Op(int sub, SimdKind k, string helper, byte size = 0, ValType scalar = N) => t[sub] = new SimdOp(k, size, scalar, helper);
        void Un(int sub, string helper) => Op(sub, SimdKind.Unary, helper);
        void Bin(int sub, string helper) => Op(sub, SimdKind.Binary, helper);

        Op(0, SimdKind.Load, nameof(V128Ops.Load), 16);
        Op(1, SimdKind.Load, nameof(V128Ops.Load8x8S), 8);
        Op(2, SimdKind.Load, nameof(V128Ops.Load8x8U), 8);
        Op(3, SimdKind.Load, nameof(V128Ops.Load16x4S), 8);
        Op(4, SimdKind.Load, nameof(V128Ops.Load16x4U), 8);
        Op(5, SimdKind.Load, nameof(V128Ops.Load32x2S), 8);
        Op(6, SimdKind.Load, nameof(V128Ops.Load32x2U), 8);
        Op(7, SimdKind.Load, nameof(V128Ops.Load8Splat), 1);
        Op(8, SimdKind.Load, nameof(V128Ops.Load16Splat), 2);
        Op(9, SimdKind.Load, nameof(V128Ops.Load32Splat), 4);
        Op(10, SimdKind.Load, nameof(V128Ops.Load64Splat), 8);
        Op(11, SimdKind.Store, nameof(V128Ops.Store), 16);
        Op(12, SimdKind.Const, nameof(V128Ops.Const));
        Op(13, SimdKind.Shuffle, nameof(V128Ops.Shuffle));
        Bin(14, nameof(V128Ops.Swizzle));
        Op(15, SimdKind.Splat, nameof(V128Ops.I8x16Splat), 0, I);
        Op(16, SimdKind.Splat, nameof(V128Ops.I16x8Splat), 0, I);
        Op(17, SimdKind.Splat, nameof(V128Ops.I32x4Splat), 0, I);
        Op(18, SimdKind.Splat, nameof(V128Ops.I64x2Splat), 0, L);
        Op(19, SimdKind.Splat, nameof(V128Ops.F32x4Splat), 0, F);
        Op(20, SimdKind.Splat, nameof(V128Ops.F64x2Splat), 0, D);
        Op(21, SimdKind.Extract, nameof(V128Ops.I8x16ExtractLaneS), 16, I);
        Op(22, SimdKind.Extract, nameof(V128Ops.I8x16ExtractLaneU), 16, I);
        Op(23, SimdKind.Replace, nameof(V128Ops.I8x16ReplaceLane), 16, I);
        Op(24, SimdKind.Extract, nameof(V128Ops.I16x8ExtractLaneS), 8, I);
        Op(25, SimdKind.Extract, nameof(V128Ops.I16x8ExtractLaneU), 8, I);
        Op(26, SimdKind.Replace, nameof(V128Ops.I16x8ReplaceLane), 8, I);
        Op(27, SimdKind.Extract, nameof(V128Ops.I32x4ExtractLane), 4, I);
        Op(28, SimdKind.Replace, nameof(V128Ops.I32x4ReplaceLane), 4, I);
        Op(29, SimdKind.Extract, nameof(V128Ops.I64x2ExtractLane), 2, L);
        Op(30, SimdKind.Replace, nameof(V128Ops.I64x2ReplaceLane), 2, L);
        Op(31, SimdKind.Extract, nameof(V128Ops.F32x4ExtractLane), 4, F);
        Op(32, SimdKind.Replace, nameof(V128Ops.F32x4ReplaceLane), 4, F);
        Op(33, SimdKind.Extract, nameof(V128Ops.F64x2ExtractLane), 2, D);
        Op(34, SimdKind.Replace, nameof(V128Ops.F64x2ReplaceLane), 2, D);

        string[] relops =
        [
            nameof(V128Ops.I8x16Eq), nameof(V128Ops.I8x16Ne), nameof(V128Ops.I8x16LtS), nameof(V128Ops.I8x16LtU), nameof(V128Ops.I8x16GtS),
            nameof(V128Ops.I8x16GtU), nameof(V128Ops.I8x16LeS), nameof(V128Ops.I8x16LeU), nameof(V128Ops.I8x16GeS), nameof(V128Ops.I8x16GeU),
            nameof(V128Ops.I16x8Eq), nameof(V128Ops.I16x8Ne), nameof(V128Ops.I16x8LtS), nameof(V128Ops.I16x8LtU), nameof(V128Ops.I16x8GtS),
            nameof(V128Ops.I16x8GtU), nameof(V128Ops.I16x8LeS), nameof(V128Ops.I16x8LeU), nameof(V128Ops.I16x8GeS), nameof(V128Ops.I16x8GeU),
            nameof(V128Ops.I32x4Eq), nameof(V128Ops.I32x4Ne), nameof(V128Ops.I32x4LtS), nameof(V128Ops.I32x4LtU), nameof(V128Ops.I32x4GtS),
            nameof(V128Ops.I32x4GtU), nameof(V128Ops.I32x4LeS), nameof(V128Ops.I32x4LeU), nameof(V128Ops.I32x4GeS), nameof(V128Ops.I32x4GeU),
            nameof(V128Ops.F32x4Eq), nameof(V128Ops.F32x4Ne), nameof(V128Ops.F32x4Lt), nameof(V128Ops.F32x4Gt), nameof(V128Ops.F32x4Le), nameof(V128Ops.F32x4Ge),
            nameof(V128Ops.F64x2Eq), nameof(V128Ops.F64x2Ne), nameof(V128Ops.F64x2Lt), nameof(V128Ops.F64x2Gt), nameof(V128Ops.F64x2Le), nameof(V128Ops.F64x2Ge),
        ];
        for (int i = 0; i < relops.Length; i++) Bin(35 + i, relops[i]);

        Un(77, nameof(V128Ops.Not));
        Bin(78, nameof(V128Ops.And));
        Bin(79, nameof(V128Ops.AndNot));
        Bin(80, nameof(V128Ops.Or));
        Bin(81, nameof(V128Ops.Xor));
        Op(82, SimdKind.Ternary, nameof(V128Ops.Bitselect));
        Op(83, SimdKind.Test, nameof(V128Ops.AnyTrue));
        Op(84, SimdKind.LoadLane, nameof(V128Ops.Load8Lane), 1);
        Op(85, SimdKind.LoadLane, nameof(V128Ops.Load16Lane), 2);
        Op(86, SimdKind.LoadLane, nameof(V128Ops.Load32Lane), 4);
        Op(87, SimdKind.LoadLane, nameof(V128Ops.Load64Lane), 8);
        Op(88, SimdKind.StoreLane, nameof(V128Ops.Store8Lane), 1);
        Op(89, SimdKind.StoreLane, nameof(V128Ops.Store16Lane), 2);
        Op(90, SimdKind.StoreLane, nameof(V128Ops.Store32Lane), 4);
        Op(91, SimdKind.StoreLane, nameof(V128Ops.Store64Lane), 8);
        Op(92, SimdKind.Load, nameof(V128Ops.Load32Zero), 4);
        Op(93, SimdKind.Load, nameof(V128Ops.Load64Zero), 8);
        Un(94, nameof(V128Ops.F32x4DemoteF64x2Zero));
        Un(95, nameof(V128Ops.F64x2PromoteLowF32x4));

        Un(96, nameof(V128Ops.I8x16Abs));
        Un(97, nameof(V128Ops.I8x16Neg));
        Un(98, nameof(V128Ops.I8x16Popcnt));
        Op(99, SimdKind.Test, nameof(V128Ops.I8x16AllTrue));
        Op(100, SimdKind.Test, nameof(V128Ops.I8x16Bitmask));
        Bin(101, nameof(V128Ops.I8x16NarrowI16x8S));
        Bin(102, nameof(V128Ops.I8x16NarrowI16x8U));
        Un(103, nameof(V128Ops.F32x4Ceil));
        Un(104, nameof(V128Ops.F32x4Floor));
        Un(105, nameof(V128Ops.F32x4Trunc));
        Un(106, nameof(V128Ops.F32x4Nearest));
        Op(107, SimdKind.Shift, nameof(V128Ops.I8x16Shl));
        Op(108, SimdKind.Shift, nameof(V128Ops.I8x16ShrS));
        Op(109, SimdKind.Shift, nameof(V128Ops.I8x16ShrU));
        Bin(110, nameof(V128Ops.I8x16Add));
        Bin(111, nameof(V128Ops.I8x16AddSatS));
        Bin(112, nameof(V128Ops.I8x16AddSatU));
        Bin(113, nameof(V128Ops.I8x16Sub));
        Bin(114, nameof(V128Ops.I8x16SubSatS));
        Bin(115, nameof(V128Ops.I8x16SubSatU));
        Un(116, nameof(V128Ops.F64x2Ceil));
        Un(117, nameof(V128Ops.F64x2Floor));
        Bin(118, nameof(V128Ops.I8x16MinS));
        Bin(119, nameof(V128Ops.I8x16MinU));
        Bin(120, nameof(V128Ops.I8x16MaxS));
        Bin(121, nameof(V128Ops.I8x16MaxU));
        Un(122, nameof(V128Ops.F64x2Trunc));
        Bin(123, nameof(V128Ops.I8x16AvgrU));
        Un(124, nameof(V128Ops.I16x8ExtaddPairwiseI8x16S));
        Un(125, nameof(V128Ops.I16x8ExtaddPairwiseI8x16U));
        Un(126, nameof(V128Ops.I32x4ExtaddPairwiseI16x8S));
        Un(127, nameof(V128Ops.I32x4ExtaddPairwiseI16x8U));

        Un(128, nameof(V128Ops.I16x8Abs));
        Un(129, nameof(V128Ops.I16x8Neg));
        Bin(130, nameof(V128Ops.I16x8Q15MulrSatS));
        Op(131, SimdKind.Test, nameof(V128Ops.I16x8AllTrue));
        Op(132, SimdKind.Test, nameof(V128Ops.I16x8Bitmask));
        Bin(133, nameof(V128Ops.I16x8NarrowI32x4S));
        Bin(134, nameof(V128Ops.I16x8NarrowI32x4U));
        Un(135, nameof(V128Ops.I16x8ExtendLowI8x16S));
        Un(136, nameof(V128Ops.I16x8ExtendHighI8x16S));
        Un(137, nameof(V128Ops.I16x8ExtendLowI8x16U));
        Un(138, nameof(V128Ops.I16x8ExtendHighI8x16U));
        Op(139, SimdKind.Shift, nameof(V128Ops.I16x8Shl));
        Op(140, SimdKind.Shift, nameof(V128Ops.I16x8ShrS));
        Op(141, SimdKind.Shift, nameof(V128Ops.I16x8ShrU));
        Bin(142, nameof(V128Ops.I16x8Add));
        Bin(143, nameof(V128Ops.I16x8AddSatS));
        Bin(144, nameof(V128Ops.I16x8AddSatU));
        Bin(145, nameof(V128Ops.I16x8Sub));
        Bin(146, nameof(V128Ops.I16x8SubSatS));
        Bin(147, nameof(V128Ops.I16x8SubSatU));
        Un(148, nameof(V128Ops.F64x2Nearest));
        Bin(149, nameof(V128Ops.I16x8Mul));
        Bin(150, nameof(V128Ops.I16x8MinS));
        Bin(151, nameof(V128Ops.I16x8MinU));
        Bin(152, nameof(V128Ops.I16x8MaxS));
        Bin(153, nameof(V128Ops.I16x8MaxU));
        Bin(155, nameof(V128Ops.I16x8AvgrU));
        Bin(156, nameof(V128Ops.I16x8ExtmulLowI8x16S));
        Bin(157, nameof(V128Ops.I16x8ExtmulHighI8x16S));
        Bin(158, nameof(V128Ops.I16x8ExtmulLowI8x16U));
        Bin(159, nameof(V128Ops.I16x8ExtmulHighI8x16U));

        Un(160, nameof(V128Ops.I32x4Abs));
        Un(161, nameof(V128Ops.I32x4Neg));
        Op(163, SimdKind.Test, nameof(V128Ops.I32x4AllTrue));
        Op(164, SimdKind.Test, nameof(V128Ops.I32x4Bitmask));
        Un(167, nameof(V128Ops.I32x4ExtendLowI16x8S));
        Un(168, nameof(V128Ops.I32x4ExtendHighI16x8S));
        Un(169, nameof(V128Ops.I32x4ExtendLowI16x8U));
        Un(170, nameof(V128Ops.I32x4ExtendHighI16x8U));
        Op(171, SimdKind.Shift, nameof(V128Ops.I32x4Shl));
        Op(172, SimdKind.Shift, nameof(V128Ops.I32x4ShrS));
        Op(173, SimdKind.Shift, nameof(V128Ops.I32x4ShrU));
        Bin(174, nameof(V128Ops.I32x4Add));
        Bin(177, nameof(V128Ops.I32x4Sub));
        Bin(181, nameof(V128Ops.I32x4Mul));
        Bin(182, nameof(V128Ops.I32x4MinS));
        Bin(183, nameof(V128Ops.I32x4MinU));
        Bin(184, nameof(V128Ops.I32x4MaxS));
        Bin(185, nameof(V128Ops.I32x4MaxU));
        Bin(186, nameof(V128Ops.I32x4DotI16x8S));
        Bin(188, nameof(V128Ops.I32x4ExtmulLowI16x8S));
        Bin(189, nameof(V128Ops.I32x4ExtmulHighI16x8S));
        Bin(190, nameof(V128Ops.I32x4ExtmulLowI16x8U));
        Bin(191, nameof(V128Ops.I32x4ExtmulHighI16x8U));

        Un(192, nameof(V128Ops.I64x2Abs));
        Un(193, nameof(V128Ops.I64x2Neg));
        Op(195, SimdKind.Test, nameof(V128Ops.I64x2AllTrue));
        Op(196, SimdKind.Test, nameof(V128Ops.I64x2Bitmask));
        Un(199, nameof(V128Ops.I64x2ExtendLowI32x4S));
        Un(200, nameof(V128Ops.I64x2ExtendHighI32x4S));
        Un(201, nameof(V128Ops.I64x2ExtendLowI32x4U));
        Un(202, nameof(V128Ops.I64x2ExtendHighI32x4U));
        Op(203, SimdKind.Shift, nameof(V128Ops.I64x2Shl));
        Op(204, SimdKind.Shift, nameof(V128Ops.I64x2ShrS));
        Op(205, SimdKind.Shift, nameof(V128Ops.I64x2ShrU));
        Bin(206, nameof(V128Ops.I64x2Add));
        Bin(209, nameof(V128Ops.I64x2Sub));
        Bin(213, nameof(V128Ops.I64x2Mul));
        Bin(214, nameof(V128Ops.I64x2Eq));
        Bin(215, nameof(V128Ops.I64x2Ne));
        Bin(216, nameof(V128Ops.I64x2LtS));
        Bin(217, nameof(V128Ops.I64x2GtS));
        Bin(218, nameof(V128Ops.I64x2LeS));
        Bin(219, nameof(V128Ops.I64x2GeS));
        Bin(220, nameof(V128Ops.I64x2ExtmulLowI32x4S));
        Bin(221, nameof(V128Ops.I64x2ExtmulHighI32x4S));
        Bin(222, nameof(V128Ops.I64x2ExtmulLowI32x4U));
        Bin(223, nameof(V128Ops.I64x2ExtmulHighI32x4U));

        Un(224, nameof(V128Ops.F32x4Abs));
        Un(225, nameof(V128Ops.F32x4Neg));
        Un(227, nameof(V128Ops.F32x4Sqrt));
        Bin(228, nameof(V128Ops.F32x4Add));
        Bin(229, nameof(V128Ops.F32x4Sub));
        Bin(230, nameof(V128Ops.F32x4Mul));
        Bin(231, nameof(V128Ops.F32x4Div));
        Bin(232, nameof(V128Ops.F32x4Min));
        Bin(233, nameof(V128Ops.F32x4Max));
        Bin(234, nameof(V128Ops.F32x4Pmin));
        Bin(235, nameof(V128Ops.F32x4Pmax));
        Un(236, nameof(V128Ops.F64x2Abs));
        Un(237, nameof(V128Ops.F64x2Neg));
        Un(239, nameof(V128Ops.F64x2Sqrt));
        Bin(240, nameof(V128Ops.F64x2Add));
        Bin(241, nameof(V128Ops.F64x2Sub));
        Bin(242, nameof(V128Ops.F64x2Mul));
        Bin(243, nameof(V128Ops.F64x2Div));
        Bin(244, nameof(V128Ops.F64x2Min));
        Bin(245, nameof(V128Ops.F64x2Max));
        Bin(246, nameof(V128Ops.F64x2Pmin));
        Bin(247, nameof(V128Ops.F64x2Pmax));
        Un(248, nameof(V128Ops.I32x4TruncSatF32x4S));
        Un(249, nameof(V128Ops.I32x4TruncSatF32x4U));
        Un(250, nameof(V128Ops.F32x4ConvertI32x4S));
        Un(251, nameof(V128Ops.F32x4ConvertI32x4U));
        Un(252, nameof(V128Ops.I32x4TruncSatF64x2SZero));
        Un(253, nameof(V128Ops.I32x4TruncSatF64x2UZero));
        Un(254, nameof(V128Ops.F64x2ConvertLowI32x4S));
        Un(255, nameof(V128Ops.F64x2ConvertLowI32x4U));
        return t;
    }
}
