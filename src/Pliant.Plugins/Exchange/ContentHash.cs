using System.Buffers.Binary;

namespace Pliant.Plugins.Exchange;

/// <summary>
/// A module's 32-byte content hash as a value (four words): the key of transfers in progress, so a
/// PLUGIN frame finds its transfer without allocating a hex string.
/// </summary>
internal readonly record struct ContentHash(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>The hash in <paramref name="bytes"/> (exactly 32 bytes).</summary>
    public static ContentHash From(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32) throw new ArgumentException("a SHA-256 hash is 32 bytes", nameof(bytes));
        return new ContentHash(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>The hash of a lower-case or upper-case hex string of 64 digits.</summary>
    public static ContentHash FromHex(string hex) => From(Convert.FromHexString(hex));

    /// <summary>The 32 bytes.</summary>
    public byte[] ToBytes()
    {
        var b = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(b, A);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), B);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(16), C);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(24), D);
        return b;
    }

    /// <summary>Lower-case hex, as in <c>id@sha256</c> references.</summary>
    public string ToHex() => Convert.ToHexStringLower(ToBytes());
}
