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

    /// <summary>
    /// The CSPRNG, drawn from in blocks: each call into the operating system's generator costs a few
    /// microseconds whatever its size, and a connection asks for a dozen small values (connection IDs,
    /// packet-number skips, nonces). Small requests are served from a per-thread block of 512 bytes
    /// of CSPRNG output; every byte is handed out once and wiped from the block as it goes.
    /// </summary>
    private sealed class SecureSource : RandomSource
    {
        private const int BlockSize = 512;
        private const int DirectAbove = 64;

        [ThreadStatic] private static byte[]? t_block;
        [ThreadStatic] private static int t_used;

        public override bool IsSecure => true;

        public override void Fill(Span<byte> destination)
        {
            if (destination.Length > DirectAbove)
            {
                RandomNumberGenerator.Fill(destination);
                return;
            }
            var block = t_block ??= new byte[BlockSize];
            if (t_used == 0 || t_used + destination.Length > BlockSize)
            {
                RandomNumberGenerator.Fill(block);
                t_used = 0;
            }
            var take = block.AsSpan(t_used, destination.Length);
            take.CopyTo(destination);
            take.Clear();
            t_used += destination.Length;
        }
    }

    private sealed class SeededSource(Random random) : RandomSource
    {
        public override bool IsSecure => false;

        public override void Fill(Span<byte> destination) => random.NextBytes(destination);
    }
}
