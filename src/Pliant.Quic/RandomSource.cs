using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Pliant.Quic;

/// <summary>
/// Where the core's randomness comes from (DESIGN §7b: a provider, never <see cref="System.Random"/>
/// in production). Values an attacker must not predict — connection IDs (RFC 9000 §5.1), Retry
/// source connection IDs, PATH_CHALLENGE data (§8.2.1), stateless reset filler (§10.3), skipped
/// packet numbers (§21.4) — come from <see cref="Secure"/>, the operating system's CSPRNG. A
/// simulation passes a seeded generator (<see cref="Seeded"/>) so that a run replays exactly; that
/// must never be used on a real network.
/// </summary>
public abstract class RandomSource
{
    /// <summary>The operating system's cryptographically secure generator (the default).</summary>
    public static RandomSource Secure { get; } = new SecureSource();

    /// <summary>A reproducible generator for simulations and tests (predictable: not for real networks).</summary>
    public static RandomSource Seeded(Random random) => new SeededSource(random ?? throw new ArgumentNullException(nameof(random)));

    /// <summary><see cref="Seeded"/> for a non-null <paramref name="random"/>, otherwise <see cref="Secure"/>.</summary>
    public static RandomSource From(Random? random) => random is null ? Secure : new SeededSource(random);

    /// <summary>True for <see cref="Secure"/>.</summary>
    public abstract bool IsSecure { get; }

    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public abstract void Fill(Span<byte> destination);

    /// <summary>A random 64-bit value.</summary>
    public ulong NextUInt64()
    {
        Span<byte> b = stackalloc byte[8];
        Fill(b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    /// <summary>A random value in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        // Rejection sampling keeps the distribution uniform.
        uint limit = uint.MaxValue - uint.MaxValue % (uint)maxExclusive;
        while (true)
        {
            uint v = (uint)NextUInt64();
            if (v < limit) return (int)(v % (uint)maxExclusive);
        }
    }

    private sealed class SecureSource : RandomSource
    {
        public override bool IsSecure => true;

        public override void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
    }

    private sealed class SeededSource(Random random) : RandomSource
    {
        public override bool IsSecure => false;

        public override void Fill(Span<byte> destination) => random.NextBytes(destination);
    }
}
