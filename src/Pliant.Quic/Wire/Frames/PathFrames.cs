using System.Buffers.Binary;

namespace Pliant.Quic.Wire;

/// <summary>PATH_CHALLENGE (RFC 9000 §19.17); the 8 data bytes as a big-endian ulong.</summary>
public readonly record struct PathChallengeFrame(ulong Data) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static PathChallengeFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new PathChallengeFrame(r.ReadUInt64());
    }

    /// <summary>Always 9.</summary>
    public int EncodedLength => 9;

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest[1..], Data);
        dest[0] = (byte)FrameType.PathChallenge;
        return 9;
    }
}

/// <summary>PATH_RESPONSE (RFC 9000 §19.18); echoes a PATH_CHALLENGE's data.</summary>
public readonly record struct PathResponseFrame(ulong Data) : IWireFrame
{
    /// <summary>Reads the frame (type already consumed).</summary>
    public static PathResponseFrame Read(ref WireReader r, ulong frameType)
    {
        _ = frameType;
        return new PathResponseFrame(r.ReadUInt64());
    }

    /// <summary>Always 9.</summary>
    public int EncodedLength => 9;

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest[1..], Data);
        dest[0] = (byte)FrameType.PathResponse;
        return 9;
    }
}
