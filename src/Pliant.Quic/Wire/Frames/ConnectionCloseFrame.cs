using System.Text;

namespace Pliant.Quic.Wire;

/// <summary>CONNECTION_CLOSE, 0x1c transport / 0x1d application (RFC 9000 §19.19).</summary>
public readonly ref struct ConnectionCloseFrame : IWireFrame
{
    /// <summary>A frame to write or as read. <paramref name="frameType"/> is only encoded for transport closes.</summary>
    public ConnectionCloseFrame(bool isApplication, ulong errorCode, ulong frameType, ReadOnlySpan<byte> reasonPhrase)
    {
        IsApplication = isApplication;
        ErrorCode = errorCode;
        FrameType = isApplication ? 0 : frameType;
        ReasonPhrase = reasonPhrase;
    }

    /// <summary>True for type 0x1d (application error code).</summary>
    public bool IsApplication { get; }

    /// <summary>Transport (RFC 9000 §20.1) or application error code.</summary>
    public ulong ErrorCode { get; }

    /// <summary>Type of the frame that triggered the error (transport closes only; 0 if unknown).</summary>
    public ulong FrameType { get; }

    /// <summary>Reason phrase bytes (UTF-8 by intent, RFC 9000 §19.19; a slice of the packet).</summary>
    public ReadOnlySpan<byte> ReasonPhrase { get; }

    /// <summary>The reason phrase decoded as UTF-8, invalid sequences replaced (allocates).</summary>
    public string ReasonString => Encoding.UTF8.GetString(ReasonPhrase);

    /// <summary>Reads the frame (type already consumed).</summary>
    public static ConnectionCloseFrame Read(ref WireReader r, ulong frameType)
    {
        bool app = frameType == (ulong)Wire.FrameType.ConnectionCloseApplication;
        ulong code = r.ReadVarInt();
        ulong triggering = app ? 0 : r.ReadVarInt();
        ReadOnlySpan<byte> reason = r.ReadBytes(r.ReadVarIntLength());
        return new ConnectionCloseFrame(app, code, triggering, reason);
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength =>
        1 + VarInt.Length(ErrorCode) + (IsApplication ? 0 : VarInt.Length(FrameType))
        + VarInt.Length((ulong)ReasonPhrase.Length) + ReasonPhrase.Length;

    /// <summary>Writes the frame; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        dest[0] = (byte)(IsApplication ? Wire.FrameType.ConnectionCloseApplication : Wire.FrameType.ConnectionClose);
        int pos = 1 + VarInt.Write(dest[1..], ErrorCode);
        if (!IsApplication) pos += VarInt.Write(dest[pos..], FrameType);
        pos += VarInt.Write(dest[pos..], (ulong)ReasonPhrase.Length);
        ReasonPhrase.CopyTo(dest[pos..]);
        return pos + ReasonPhrase.Length;
    }
}
