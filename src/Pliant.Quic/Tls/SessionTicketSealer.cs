using System.Security.Cryptography;
using System.Text;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tls;

/// <summary>What a stateless ticket carries (sealed by the server, opaque to the client).</summary>
internal sealed record TicketContents(CipherSuite Suite, byte[] Psk, string? Alpn, string? ServerName,
    long IssuedUnixMs, uint AgeAdd, bool EarlyData);

/// <summary>Seals and opens stateless session tickets with AES-256-GCM under the server's ticket key.</summary>
internal static class SessionTicketSealer
{
    private const byte Format = 1;
    private const int NonceSize = 12, TagSize = 16;

    public static byte[] Seal(byte[] key, TicketContents t)
    {
        var w = new TlsWriter();
        w.U8(Format);
        w.U16((ushort)t.Suite);
        w.Vector8(t.Psk);
        w.Vector8(Encoding.UTF8.GetBytes(t.Alpn ?? ""));
        w.Vector8(Encoding.ASCII.GetBytes(t.ServerName ?? ""));
        w.U64((ulong)t.IssuedUnixMs);
        w.U32(t.AgeAdd);
        w.U8(t.EarlyData ? 1 : 0);
        var plain = w.Written;
        var result = new byte[NonceSize + plain.Length + TagSize];
        RandomSource.Secure.Fill(result.AsSpan(0, NonceSize));
        AesGcmAead.For(key).Seal(result.AsSpan(0, NonceSize), plain, result.AsSpan(NonceSize, plain.Length), result.AsSpan(NonceSize + plain.Length));
        return result;
    }

    /// <summary>Opens a ticket; null when it was not sealed by this key or is malformed (then a full handshake follows).</summary>
    public static TicketContents? TryOpen(byte[] key, ReadOnlySpan<byte> ticket)
    {
        if (ticket.Length < NonceSize + TagSize + 1) return null;
        var plain = new byte[ticket.Length - NonceSize - TagSize];
        try
        {
            if (!AesGcmAead.For(key).Open(ticket[..NonceSize], ticket.Slice(NonceSize, plain.Length), ticket[^TagSize..], plain)) return null;
            var r = new WireReader(plain, TlsAlert.DecodeErrorCode, "ticket");
            if (r.ReadByte() != Format) return null;
            ushort suite = r.ReadUInt16();
            byte[] psk = r.ReadVector8().ToArray();
            string alpn = Encoding.UTF8.GetString(r.ReadVector8());
            string sni = Encoding.ASCII.GetString(r.ReadVector8());
            long issued = (long)r.ReadUInt64();
            uint ageAdd = r.ReadUInt32();
            bool early = r.ReadByte() == 1;
            if (!CipherSuiteInfo.IsKnown(suite)) return null;
            return new TicketContents((CipherSuite)suite, psk, alpn.Length == 0 ? null : alpn, sni.Length == 0 ? null : sni, issued, ageAdd, early);
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (QuicProtocolException)
        {
            return null;
        }
    }
}
