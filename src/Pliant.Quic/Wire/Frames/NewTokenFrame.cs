namespace Pliant.Quic.Wire;

/// <summary>NEW_TOKEN (RFC 9000 §19.7).</summary>
public readonly ref struct NewTokenFrame : IWireFrame
{
    /// <summary>A frame to write or as read.</summary>
    public NewTokenFrame(ReadOnlySpan<byte> token) => Token = token;

    /// <summary>The opaque token (a slice of the packet: copy it to keep it).</summary>
    public ReadOnlySpan<byte> Token { get; }

    /// <summary>Reads a NEW_TOKEN frame (type already consumed).</summary>
    public static NewTokenFrame Read(ref WireReader r, ulong frameType)
    {
        ReadOnlySpan<byte> token = r.ReadBytes(r.ReadVarIntLength());
        // RFC 9000 §19.7: an empty Token field MUST be treated as FRAME_ENCODING_ERROR.
        if (token.IsEmpty) throw FrameErrors.Encoding(frameType, "empty NEW_TOKEN");
        return new NewTokenFrame(token);
    }

    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    public int EncodedLength => 1 + VarInt.Length((ulong)Token.Length) + Token.Length;

    /// <summary>Writes this frame.</summary>
    public int Write(Span<byte> dest)
    {
        if (Token.IsEmpty) throw new InvalidOperationException("NEW_TOKEN needs a non-empty token");
        dest[0] = (byte)FrameType.NewToken;
        int pos = 1 + VarInt.Write(dest[1..], (ulong)Token.Length);
        Token.CopyTo(dest[pos..]);
        return pos + Token.Length;
    }
}
