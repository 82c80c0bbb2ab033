using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pliant.Quic.Crypto;

/// <summary>HKDF-Expand-Label and Derive-Secret of TLS 1.3 (RFC 8446 §7.1).</summary>
public static class HkdfLabel
{
    /// <summary>
    /// HKDF-Expand-Label(Secret, Label, Context, Length); <paramref name="label"/> is given without
    /// the "tls13 " prefix, which is added here.
    /// </summary>
    public static byte[] Expand(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label,
        ReadOnlySpan<byte> context, int length)
    {
        var output = new byte[length];
        Expand(hash, secret, label, context, output);
        return output;
    }

    /// <summary>HKDF-Expand-Label into <paramref name="output"/> (its length is the Length).</summary>
    public static void Expand(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label,
        ReadOnlySpan<byte> context, Span<byte> output)
    {
        // struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
        int labelLen = 6 + Encoding.ASCII.GetByteCount(label);
        Span<byte> info = stackalloc byte[2 + 1 + labelLen + 1 + context.Length];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)output.Length);
        info[2] = (byte)labelLen;
        "tls13 "u8.CopyTo(info[3..]);
        Encoding.ASCII.GetBytes(label, info[9..]);
        info[3 + labelLen] = (byte)context.Length;
        context.CopyTo(info[(4 + labelLen)..]);
        if (Sha2.Supports(hash)) Hkdf.Expand(hash, secret, info, output);
        else HKDF.Expand(hash, secret, output, info);
    }

    /// <summary>Derive-Secret(Secret, Label, Messages) given the transcript hash of Messages.</summary>
    public static byte[] DeriveSecret(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label,
        ReadOnlySpan<byte> transcriptHash) =>
        Expand(hash, secret, label, transcriptHash, transcriptHash.Length);
}
