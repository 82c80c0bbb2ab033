namespace Pliant.Quic.Wire;

/// <summary>
/// A run of PADDING bytes (RFC 9000 §19.1). <see cref="Read"/> consumes the type byte's successors
/// that are also PADDING, so a long run costs one call.
/// </summary>
public readonly struct PaddingFrame : IWireFrame
{
    /// <summary>A run of <paramref name="length"/> PADDING bytes.</summary>
    public PaddingFrame(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
    }

    /// <summary>Number of PADDING bytes, the type byte included.</summary>
    public int Length { get; }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => Length;

    /// <summary>Reads the rest of a PADDING run (the first 0x00 was consumed).</summary>
    public static PaddingFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        ReadOnlySpan<byte> rest = r.Rest;
        int n = rest.IndexOfAnyExcept((byte)0);
        if (n < 0) n = rest.Length;
        r.Skip(n);
        return new PaddingFrame(n + 1);
    }

    /// <summary>Writes <see cref="Length"/> zero bytes.</summary>
    public int Write(Span<byte> dest)
    {
        dest[..Length].Clear();
        return Length;
    }
}

/// <summary>PING (RFC 9000 §19.2).</summary>
public readonly struct PingFrame : IWireFrame
{
    /// <summary>Always 1.</summary>
    public int EncodedLength => 1;

    /// <summary>Nothing to read after the type.</summary>
    public static PingFrame Read(ref WireReader r, ulong frameType)
    {
        _ = r.Remaining;
        _ = frameType;
        return default;
    }

    /// <summary>Writes the type byte.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.Ping;
        return 1;
    }
}

/// <summary>HANDSHAKE_DONE (RFC 9000 §19.20).</summary>
public readonly struct HandshakeDoneFrame : IWireFrame
{
    /// <summary>Always 1.</summary>
    public int EncodedLength => 1;

    /// <summary>Nothing to read after the type.</summary>
    public static HandshakeDoneFrame Read(ref WireReader r, ulong frameType)
    {
        _ = r.Remaining;
        _ = frameType;
        return default;
    }

    /// <summary>Writes the type byte.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)FrameType.HandshakeDone;
        return 1;
    }
}
