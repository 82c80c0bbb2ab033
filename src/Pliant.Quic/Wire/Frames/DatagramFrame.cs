namespace Pliant.Quic.Wire;

/// <summary>DATAGRAM, types 0x30 (no Length) and 0x31 (with Length) (RFC 9221 §4).</summary>
public readonly ref struct DatagramFrame : IWireFrame
{
    /// <summary>A frame to write or as read.</summary>
    public DatagramFrame(ReadOnlySpan<byte> data, bool hasLength)
    {
        Data = data;
        HasLength = hasLength;
    }

    /// <summary>The datagram payload (a slice of the packet; may be empty).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>True for type 0x31.</summary>
    public bool HasLength { get; }

    /// <summary>Reads a DATAGRAM frame (type already consumed).</summary>
    public static DatagramFrame Read(ref WireReader r, ulong frameType)
    {
        bool hasLength = frameType == (ulong)FrameType.DatagramWithLength;
        // RFC 9221 §4: without Length the data extends to the end of the packet.
        ReadOnlySpan<byte> data = r.ReadBytes(hasLength ? r.ReadVarIntLength() : r.Remaining);
        return new DatagramFrame(data, hasLength);
    }

    /// <summary>Bytes <see cref="Write(Span{byte})"/> produces.</summary>
    public int EncodedLength => HeaderLength(Data.Length, HasLength) + Data.Length;

    /// <summary>Writes this frame.</summary>
    public int Write(Span<byte> dest) => Write(dest, Data, HasLength);

    /// <summary>Bytes before the data.</summary>
    public static int HeaderLength(int dataLength, bool withLength) => 1 + (withLength ? VarInt.Length((ulong)dataLength) : 0);

    /// <summary>Writes a DATAGRAM frame; returns bytes written.</summary>
    public static int Write(Span<byte> dest, ReadOnlySpan<byte> data, bool withLength)
    {
        int pos = 0;
        dest[pos++] = (byte)(withLength ? FrameType.DatagramWithLength : FrameType.Datagram);
        if (withLength) pos += VarInt.Write(dest[pos..], (ulong)data.Length);
        data.CopyTo(dest[pos..]);
        return pos + data.Length;
    }
}
