using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Pliant.Quic.Wire;

/// <summary>A connection ID of 0 to 20 bytes (RFC 9000 §5.1), stored inline (no allocation).</summary>
public readonly struct ConnectionId : IEquatable<ConnectionId>
{
    /// <summary>Longest connection ID QUIC v1 allows (RFC 9000 §17.2).</summary>
    public const int MaxLength = 20;

    [InlineArray(MaxLength)]
    private struct Bytes20 { private byte _b; }

    private readonly Bytes20 _bytes;
    private readonly byte _length;

    /// <summary>Copies <paramref name="bytes"/> (at most 20) into a new ID.</summary>
    public ConnectionId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength) throw new ArgumentException("connection IDs are at most 20 bytes", nameof(bytes));
        _length = (byte)bytes.Length;
        bytes.CopyTo(_bytes);
    }

    /// <summary>The empty (zero-length) connection ID.</summary>
    public static ConnectionId Empty => default;

    /// <summary>Length in bytes.</summary>
    public int Length => _length;

    /// <summary>The ID's bytes.</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Span => ((ReadOnlySpan<byte>)_bytes)[.._length];

    /// <summary>A random ID of <paramref name="length"/> bytes.</summary>
    public static ConnectionId Random(int length)
    {
        Span<byte> b = stackalloc byte[length];
        RandomSource.Secure.Fill(b);
        return new ConnectionId(b);
    }

    /// <summary>A pseudo-random ID from a seeded generator (simulations).</summary>
    public static ConnectionId Random(int length, Random rng)
    {
        Span<byte> b = stackalloc byte[length];
        rng.NextBytes(b);
        return new ConnectionId(b);
    }

    /// <summary>A random ID from <paramref name="source"/> (the CSPRNG unless a simulation seeded it).</summary>
    public static ConnectionId Random(int length, RandomSource source)
    {
        Span<byte> b = stackalloc byte[length];
        source.Fill(b);
        return new ConnectionId(b);
    }

    public bool Equals(ConnectionId other) => Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is ConnectionId c && Equals(c);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(Span);
        return h.ToHashCode();
    }

    public static bool operator ==(ConnectionId a, ConnectionId b) => a.Equals(b);

    public static bool operator !=(ConnectionId a, ConnectionId b) => !a.Equals(b);

    public byte[] ToArray() => Span.ToArray();

    public override string ToString() => Convert.ToHexString(Span).ToLowerInvariant();
}
