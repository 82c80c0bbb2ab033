namespace Pliant.Quic.Wire;

/// <summary>Packet number truncation and recovery (RFC 9000 §17.1, Appendix A.2 and A.3).</summary>
public static class PacketNumber
{
    /// <summary>Largest packet number (RFC 9000 §12.3).</summary>
    public const ulong Max = (1UL << 62) - 1;

    /// <summary>
    /// Bytes (1–4) needed to send <paramref name="full"/> so the peer can recover it, given the
    /// largest packet number it acknowledged (RFC 9000 Appendix A.2).
    /// </summary>
    public static int EncodedLength(ulong full, ulong largestAcked)
    {
        ulong numUnacked = full > largestAcked ? full - largestAcked : 1;
        return LengthFor(numUnacked);
    }

    /// <summary>As <see cref="EncodedLength(ulong, ulong)"/>, when nothing was acknowledged yet (null).</summary>
    public static int EncodedLength(ulong full, ulong? largestAcked) =>
        largestAcked is ulong la ? EncodedLength(full, la) : LengthFor(full + 1);

    private static int LengthFor(ulong numUnacked)
    {
        // A.2: num_bytes = ceil((log2(num_unacked) + 1) / 8), i.e. the smallest b with 2^(8b) >= 2 * num_unacked
        // (the real logarithm, not its floor: 200 unacked packets need 2 bytes).
        for (int b = 1; b < 4; b++)
        {
            if ((1UL << (8 * b)) >= 2 * numUnacked) return b;
        }
        return 4;
    }

    /// <summary>Writes the low <paramref name="length"/> bytes of <paramref name="full"/>, big-endian.</summary>
    public static void Write(Span<byte> dest, ulong full, int length)
    {
        if (length is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(length));
        _ = dest[length - 1];
        for (int i = length - 1; i >= 0; i--)
        {
            dest[i] = (byte)full;
            full >>= 8;
        }
    }

    /// <summary>Reads a truncated packet number of <paramref name="length"/> bytes.</summary>
    public static ulong ReadTruncated(ReadOnlySpan<byte> src, int length)
    {
        if (length is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(length));
        ulong v = 0;
        for (int i = 0; i < length; i++) v = v << 8 | src[i];
        return v;
    }

    /// <summary>Recovers a full packet number (RFC 9000 Appendix A.3).</summary>
    /// <param name="largestReceived">Largest packet number successfully processed in this space.</param>
    /// <param name="truncated">The truncated packet number from the packet.</param>
    /// <param name="lengthBytes">Its length in bytes (1–4).</param>
    public static ulong Decode(ulong largestReceived, ulong truncated, int lengthBytes) =>
        DecodeFromExpected(largestReceived + 1, truncated, lengthBytes);

    /// <summary>As <see cref="Decode(ulong, ulong, int)"/>; null when no packet was received in this space.</summary>
    public static ulong Decode(ulong? largestReceived, ulong truncated, int lengthBytes) =>
        DecodeFromExpected(largestReceived is ulong l ? l + 1 : 0, truncated, lengthBytes);

    private static ulong DecodeFromExpected(ulong expected, ulong truncated, int lengthBytes)
    {
        if (lengthBytes is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(lengthBytes));
        int bits = lengthBytes * 8;
        ulong win = 1UL << bits;
        ulong hwin = win / 2;
        ulong mask = win - 1;
        // A.3: the candidate is closest to expected_pn within the window.
        ulong candidate = (expected & ~mask) | (truncated & mask);
        // candidate <= expected - hwin, written without underflow.
        if (candidate + hwin <= expected && candidate < (1UL << 62) - win)
            return candidate + win;
        if (candidate > expected + hwin && candidate >= win)
            return candidate - win;
        return candidate;
    }
}
