using System.Buffers;
using Pliant.Quic.Wire;

namespace Pliant.Http3.Frames;

/// <summary>Writes HTTP/3 frames (RFC 9114 §7.1).</summary>
public static class Http3FrameWriter
{
    /// <summary>Most bytes a frame header takes (two 8-byte varints).</summary>
    public const int MaxHeaderLength = 16;

    /// <summary>Writes type and length; returns bytes written.</summary>
    public static int WriteHeader(Span<byte> dest, ulong type, ulong length)
    {
        int n = VarInt.Write(dest, type);
        return n + VarInt.Write(dest[n..], length);
    }

    /// <summary>Writes a complete frame.</summary>
    public static void WriteFrame(IBufferWriter<byte> w, ulong type, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(w);
        int n = WriteHeader(w.GetSpan(MaxHeaderLength), type, (ulong)payload.Length);
        w.Advance(n);
        payload.CopyTo(w.GetSpan(payload.Length));
        w.Advance(payload.Length);
    }

    /// <summary>Builds a complete frame as an array.</summary>
    public static byte[] Frame(ulong type, ReadOnlySpan<byte> payload)
    {
        var w = new ArrayBufferWriter<byte>(payload.Length + MaxHeaderLength);
        WriteFrame(w, type, payload);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>A SETTINGS frame.</summary>
    public static byte[] Settings(Http3Settings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var p = new ArrayBufferWriter<byte>(32);
        settings.WritePayload(p);
        return Frame(Http3FrameType.Settings, p.WrittenSpan);
    }

    /// <summary>A frame whose payload is one varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH).</summary>
    public static byte[] VarIntFrame(ulong type, ulong value)
    {
        Span<byte> p = stackalloc byte[8];
        int n = VarInt.Write(p, value);
        return Frame(type, p[..n]);
    }
}
