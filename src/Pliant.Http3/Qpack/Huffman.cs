using System.Buffers;

namespace Pliant.Http3.Qpack;

/// <summary>The HPACK static Huffman code (RFC 7541 §5.2, Appendix B).</summary>
public static class Huffman
{
    private const int Eos = 256;

    // Decoding tree: node i has children s_tree[2i] (bit 0) and s_tree[2i+1] (bit 1).
    // A child value >= 0 is an inner node; ~symbol (negative) is a leaf.
    private static readonly short[] s_tree = BuildTree();

    /// <summary>Bytes the Huffman encoding of <paramref name="data"/> takes (padding included).</summary>
    public static int GetEncodedLength(ReadOnlySpan<byte> data)
    {
        long bits = 0;
        ReadOnlySpan<byte> lengths = HuffmanTable.Lengths;
        foreach (byte b in data) bits += lengths[b];
        return (int)((bits + 7) / 8);
    }

    /// <summary>Encodes <paramref name="data"/> into <paramref name="dest"/>; returns bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> data, Span<byte> dest)
    {
        ReadOnlySpan<uint> codes = HuffmanTable.Codes;
        ReadOnlySpan<byte> lengths = HuffmanTable.Lengths;
        ulong acc = 0;
        int accBits = 0;
        int o = 0;
        foreach (byte b in data)
        {
            acc = (acc << lengths[b]) | codes[b];
            accBits += lengths[b];
            while (accBits >= 8)
            {
                accBits -= 8;
                dest[o++] = (byte)(acc >> accBits);
            }
        }
        if (accBits > 0)
        {
            // RFC 7541 §5.2: pad with the most significant bits of EOS (all 1s).
            int pad = 8 - accBits;
            dest[o++] = (byte)((acc << pad) | ((1UL << pad) - 1));
        }
        return o;
    }

    /// <summary>
    /// Decodes a Huffman string. Throws <see cref="Http3Exception"/> with <paramref name="error"/> when the
    /// padding is longer than 7 bits or not a prefix of EOS, or the EOS symbol appears (RFC 7541 §5.2).
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> src, Http3ErrorCode error)
    {
        // Shortest code is 5 bits, so at most 8/5 output bytes per input byte.
        byte[] rented = ArrayPool<byte>.Shared.Rent(src.Length * 8 / 5 + 1);
        try
        {
            int n = Decode(src, rented, error);
            return rented.AsSpan(0, n).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes into <paramref name="dest"/> (at least src.Length*8/5+1 bytes); returns bytes written.</summary>
    public static int Decode(ReadOnlySpan<byte> src, Span<byte> dest, Http3ErrorCode error)
    {
        short[] tree = s_tree;
        int node = 0;
        int o = 0;
        int pendingBits = 0;
        bool pendingAllOnes = true;
        foreach (byte b in src)
        {
            for (int shift = 7; shift >= 0; shift--)
            {
                int bit = (b >> shift) & 1;
                short next = tree[2 * node + bit];
                pendingBits++;
                pendingAllOnes &= bit == 1;
                if (next >= 0)
                {
                    node = next;
                    continue;
                }
                int sym = ~next;
                if (sym == Eos) throw new Http3Exception(error, "Huffman string contains EOS");
                dest[o++] = (byte)sym;
                node = 0;
                pendingBits = 0;
                pendingAllOnes = true;
            }
        }
        if (pendingBits > 7) throw new Http3Exception(error, "Huffman padding longer than 7 bits");
        if (!pendingAllOnes) throw new Http3Exception(error, "Huffman padding is not a prefix of EOS");
        return o;
    }

    private static short[] BuildTree()
    {
        ReadOnlySpan<uint> codes = HuffmanTable.Codes;
        ReadOnlySpan<byte> lengths = HuffmanTable.Lengths;
        // A full binary tree with 257 leaves has 256 inner nodes.
        var tree = new short[2 * 256];
        int nextNode = 1;
        for (int sym = 0; sym <= Eos; sym++)
        {
            int node = 0;
            int len = lengths[sym];
            for (int i = len - 1; i >= 0; i--)
            {
                int bit = (int)((codes[sym] >> i) & 1);
                int slot = 2 * node + bit;
                if (i == 0)
                {
                    tree[slot] = (short)~sym;
                }
                else
                {
                    if (tree[slot] == 0) tree[slot] = (short)nextNode++;
                    node = tree[slot];
                }
            }
        }
        return tree;
    }
}
