namespace Pliant.Quic.Wire;

/// <summary>Writes 1-RTT short headers (RFC 9000 §17.3.1).</summary>
public static class ShortHeader
{
    /// <summary>Bytes <see cref="Write"/> produces (before the packet number).</summary>
    public static int HeaderLength(ConnectionId dcid) => 1 + dcid.Length;

    /// <summary>Writes the first byte and the DCID; returns bytes written (the packet number follows).</summary>
    public static int Write(Span<byte> dest, ConnectionId dcid, bool spin, bool keyPhase, int packetNumberLength)
    {
        if (packetNumberLength is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(packetNumberLength));
        // Header Form 0, Fixed Bit 1, Spin (1), Reserved (2) = 0, Key Phase (1), PN Length (2).
        dest[0] = (byte)(0x40 | (spin ? 0x20 : 0) | (keyPhase ? 0x04 : 0) | (packetNumberLength - 1));
        dcid.Span.CopyTo(dest[1..]);
        return 1 + dcid.Length;
    }
}
