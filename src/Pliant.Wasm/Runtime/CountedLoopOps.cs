using System.Runtime.CompilerServices;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// The entry of a counting loop charged once for its whole run (Compilation/CountedLoops.cs), called from generated
/// code: its iteration count, whether the fuel covers it, and what runs when it does not. A count t is passed as
/// t − 1, an unsigned 64-bit value (t may be 2^64).
/// </summary>
public static class CountedLoopOps
{
    /// <summary>
    /// A <c>ne</c> loop (exit when i + s·t ≡ n mod 2^w): t − 1 for the least t ≥ 1 with s·t ≡ <paramref name="d"/> = n − i0,
    /// given s = odd · 2^<paramref name="a"/>, <paramref name="inverse"/> the odd part's inverse mod 2^64 and
    /// <paramref name="mask"/> = 2^(w−a) − 1; ulong.MaxValue (as −1) when there is none (the loop never ends). The
    /// solutions are t ≡ (d / 2^a) · inverse (mod 2^(w−a)) when 2^a divides d; a product of 0 means t = 2^(w−a).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long NeTripsLessOne(ulong d, int a, ulong inverse, ulong mask) =>
        (d & ((1UL << a) - 1)) != 0 ? -1 : (long)(((d >> a) * inverse - 1) & mask);

    /// <summary>
    /// An <c>lt_u</c> loop whose steps after the first cannot wrap: t − 1 from the counter after the first step
    /// <paramref name="first"/> (zero-extended), the bound and the step: ceil((n − first) / s) when first &lt; n, else 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LtUTripsLessOne(ulong first, ulong n, long s) => first < n ? (long)((n - first + (ulong)s - 1) / (ulong)s) : 0;

    /// <summary><see cref="LtUTripsLessOne"/> for <c>lt_s</c> (values sign-extended); n − first is exact as an unsigned difference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LtSTripsLessOne(long first, long n, long s) => first < n ? (long)(((ulong)n - (ulong)first + (ulong)s - 1) / (ulong)s) : 0;

    /// <summary>True when t × <paramref name="cost"/> ≤ <paramref name="fuel"/> for t − 1 = <paramref name="tripsLessOne"/> (unsigned).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fits(long tripsLessOne, long fuel, long cost) => fuel >= 0 && (ulong)tripsLessOne < (ulong)fuel / (ulong)cost;

    /// <summary>
    /// The fuel does not cover the run: traps "fuel exhausted" (as the first header would) when it does not cover one
    /// iteration, else returns the fuel after m = fuel / cost iterations and the next header's charge (below zero:
    /// the loop traps when it stops), with the steps to run in <paramref name="steps"/>. With a period 2^periodBits
    /// (a ne loop with an even step; 0: none) that m may exceed, <paramref name="steps"/> is the last part, and the
    /// c = (m − 1) &gt;&gt; periodBits full periods that follow it are kept in the fuel, c × cost below its final value.
    /// </summary>
    public static long Exhausted(ExecState st, long fuel, long cost, int periodBits, out long steps)
    {
        if (fuel < cost) st.OutOfFuel(fuel - cost);
        long m = fuel / cost;
        fuel -= (m + 1) * cost;
        if (periodBits > 0)
        {
            long c = (m - 1) >> periodBits; // c · cost ≤ m · cost / 2: no overflow
            fuel -= c * cost;
            m -= c << periodBits;
        }
        steps = m;
        return fuel;
    }
}
