namespace Pliant.Cli.Relay;

/// <summary>
/// The random draws for one datagram, a pure function of (seed, flow, direction, index): a SplitMix64
/// sequence (Steele, Lea, Flood 2014) started from a hash of the four. So the n-th datagram of a flow
/// meets the same fate in every run with the same seed, whatever the thread timing.
/// </summary>
internal struct DatagramDice
{
    private ulong _state;

    public DatagramDice(ulong seed, int flow, RelayDirection direction, long index)
    {
        _state = Mix(seed ^ Mix(((ulong)(uint)flow << 1 | (ulong)direction) + 0x6A09E667F3BCC909UL) ^ Mix((ulong)index + 0xBB67AE8584CAA73BUL));
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, max) (max ≥ 1; the modulo bias is below 2^-32 for datagram sizes).</summary>
    public int Next(int max) => (int)((Next64() >> 32) % (ulong)max);

    private ulong Next64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
