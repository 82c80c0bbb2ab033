using System.Buffers.Binary;
using System.Numerics;

namespace Pliant.Quic.Crypto;

/// <summary>
/// The raw ChaCha20 block function of RFC 8439 §2.3, used for ChaCha20-based QUIC header protection
/// (RFC 9001 §5.4.4). Managed and allocation-free.
/// </summary>
public static class ChaCha20Block
{
    /// <summary>Size of one key-stream block in bytes.</summary>
    public const int BlockSize = 64;

    /// <summary>
    /// Computes one 64-byte ChaCha20 block for a 32-byte <paramref name="key"/>, a 32-bit block
    /// <paramref name="counter"/> and a 12-byte <paramref name="nonce"/>, written to <paramref name="block"/>.
    /// </summary>
    public static void Compute(ReadOnlySpan<byte> key, uint counter, ReadOnlySpan<byte> nonce, Span<byte> block)
    {
        if (key.Length != 32) throw new ArgumentException("ChaCha20 keys are 32 bytes", nameof(key));
        if (nonce.Length != 12) throw new ArgumentException("ChaCha20 nonces are 12 bytes", nameof(nonce));
        if (block.Length < BlockSize) throw new ArgumentException("the block is 64 bytes", nameof(block));

        // RFC 8439 §2.3: constants | key (8 LE words) | counter | nonce (3 LE words).
        Span<uint> initial = stackalloc uint[16];
        initial[0] = 0x61707865;
        initial[1] = 0x3320646e;
        initial[2] = 0x79622d32;
        initial[3] = 0x6b206574;
        for (int i = 0; i < 8; i++)
            initial[4 + i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        initial[12] = counter;
        initial[13] = BinaryPrimitives.ReadUInt32LittleEndian(nonce);
        initial[14] = BinaryPrimitives.ReadUInt32LittleEndian(nonce[4..]);
        initial[15] = BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]);

        uint x0 = initial[0], x1 = initial[1], x2 = initial[2], x3 = initial[3];
        uint x4 = initial[4], x5 = initial[5], x6 = initial[6], x7 = initial[7];
        uint x8 = initial[8], x9 = initial[9], x10 = initial[10], x11 = initial[11];
        uint x12 = initial[12], x13 = initial[13], x14 = initial[14], x15 = initial[15];

        // 20 rounds = 10 × (column round + diagonal round), RFC 8439 §2.3.1 inner_block.
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }

        // Add the input words and serialise little-endian.
        Write(block, 0, x0 + initial[0]);
        Write(block, 1, x1 + initial[1]);
        Write(block, 2, x2 + initial[2]);
        Write(block, 3, x3 + initial[3]);
        Write(block, 4, x4 + initial[4]);
        Write(block, 5, x5 + initial[5]);
        Write(block, 6, x6 + initial[6]);
        Write(block, 7, x7 + initial[7]);
        Write(block, 8, x8 + initial[8]);
        Write(block, 9, x9 + initial[9]);
        Write(block, 10, x10 + initial[10]);
        Write(block, 11, x11 + initial[11]);
        Write(block, 12, x12 + initial[12]);
        Write(block, 13, x13 + initial[13]);
        Write(block, 14, x14 + initial[14]);
        Write(block, 15, x15 + initial[15]);
    }

    private static void Write(Span<byte> block, int word, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(block[(4 * word)..], value);

    // RFC 8439 §2.1.
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        a += b; d ^= a; d = BitOperations.RotateLeft(d, 16);
        c += d; b ^= c; b = BitOperations.RotateLeft(b, 12);
        a += b; d ^= a; d = BitOperations.RotateLeft(d, 8);
        c += d; b ^= c; b = BitOperations.RotateLeft(b, 7);
    }
}
