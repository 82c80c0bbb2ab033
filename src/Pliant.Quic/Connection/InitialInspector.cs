using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>What <see cref="InitialInspector.Inspect(ReadOnlySpan{byte}, in PacketHeader)"/> found in a client's first Initial packet.</summary>
internal enum InitialVerdict
{
    /// <summary>It decrypts, holds only frames allowed in a first Initial, and its CRYPTO data starts a ClientHello.</summary>
    ClientHello,
    /// <summary>Too short to sample, or the AEAD tag does not verify: junk, or not for this version.</summary>
    Undecryptable,
    /// <summary>Reserved bits set, a frame not allowed here, or a malformed frame.</summary>
    Malformed,
    /// <summary>Decrypts, but no CRYPTO data, or CRYPTO data that cannot be a ClientHello.</summary>
    NoClientHello,
}

/// <summary>Receives the CRYPTO data of an Initial packet that <see cref="InitialInspector"/> opened (a router reassembling the ClientHello).</summary>
internal interface IInitialCryptoSink
{
    /// <summary>CRYPTO frame data at <paramref name="offset"/> of the Initial crypto stream (a slice valid during the call only).</summary>
    void OnCryptoData(ulong offset, ReadOnlySpan<byte> data);
}

/// <summary>
/// Opens a client's first Initial packet without any connection state (issue 11: no state before
/// proof). A server creates a connection only for a datagram whose first packet decrypts under the
/// Initial keys of its Destination Connection ID (RFC 9001 §5.2) and carries the start of a
/// ClientHello, so junk — however well-formed its header — costs one key derivation and one AEAD
/// open, and no memory that outlives the call.
/// </summary>
/// <remarks>
/// Cost per call: HKDF-Extract plus four HKDF-Expand-Label (the client secret, key, IV, header
/// protection key), one AES key expansion and one AES-GCM open of at most one datagram; with AES-NI it
/// allocates nothing (one key object re-derived in place, <see cref="KeysFor"/>). Not thread-safe (one scratch buffer and key object):
/// the endpoint calls it from its own serialised thread.
/// </remarks>
internal sealed class InitialInspector
{
    /// <summary>Largest ClientHello accepted (its 24-bit length); more cannot fit the CRYPTO buffer (RFC 9000 §7.5).</summary>
    public const int MaxClientHelloLength = 65536;

    private byte[] _scratch = new byte[2048];
    // The Initial keys of the last packet inspected, re-derived in place for the next (KeysFor). Initial keys protect
    // nothing secret (anyone who sees the DCID derives them, RFC 9001 §5.2), so keeping the last ones is harmless.
    private PacketKeys? _keys;

    /// <summary>Datagrams whose first Initial was inspected.</summary>
    public long Inspected { get; private set; }

    /// <summary>
    /// Inspects the first packet of <paramref name="datagram"/>, a long-header Initial of a supported
    /// version whose header was parsed into <paramref name="header"/>.
    /// </summary>
    public InitialVerdict Inspect(ReadOnlySpan<byte> datagram, in PacketHeader header) => Inspect(datagram, header, null);

    /// <summary>
    /// <see cref="Inspect(ReadOnlySpan{byte}, in PacketHeader)"/>, also handing every CRYPTO frame of a packet
    /// that turns out valid to <paramref name="sink"/> (nothing is handed over for a packet found malformed).
    /// </summary>
    public InitialVerdict Inspect(ReadOnlySpan<byte> datagram, in PacketHeader header, IInitialCryptoSink? sink)
    {
        Inspected++;
        int length = header.PacketLength;
        if (length <= 0 || length > datagram.Length) return InitialVerdict.Malformed;
        var source = datagram[..length];
        if (_scratch.Length < length) _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        var packet = _scratch.AsSpan(0, length);
        var keys = KeysFor(header.Version, header.DestinationConnectionId.Span);
        int pnOffset = header.PacketNumberOffset;
        if (!PacketProtector.TryRemoveHeaderProtection(source, packet, pnOffset, keys, out int pnLength, out ulong truncated))
            return InitialVerdict.Undecryptable;
        // RFC 9000 §17.2.2: the client's first packet number space starts at 0; any PN decodes against 0.
        ulong pn = PacketNumber.Decode(0, truncated, pnLength);
        if (!PacketProtector.TryDecrypt(source, packet, pnOffset, pnLength, pn, keys, out int payloadLength))
            return InitialVerdict.Undecryptable;
        // RFC 9000 §17.2: the reserved bits are zero once protection is removed.
        if ((packet[0] & 0x0c) != 0) return InitialVerdict.Malformed;
        var payload = packet.Slice(pnOffset + pnLength, payloadLength);
        var verdict = ScanFrames(payload);
        if (sink is not null && verdict == InitialVerdict.ClientHello) DeliverCrypto(payload, sink);
        return verdict;
    }

    /// <summary>
    /// The client's Initial keys for <paramref name="dcid"/> (RFC 9001 §5.2), in the one key object this inspector
    /// re-derives in place for each packet: a junk Initial allocates nothing (see <see cref="PacketKeys.TryRekey"/>).
    /// A new object only for the first packet, a change of version, or keys that cannot be re-derived in place
    /// (no AES-NI: the OpenSSL-backed classes are created per packet, as before).
    /// </summary>
    private PacketKeys KeysFor(uint version, ReadOnlySpan<byte> dcid)
    {
        Span<byte> secret = stackalloc byte[InitialSecrets.SecretLength];
        InitialSecrets.DeriveSecretFor(version, dcid, clientSide: true, secret);
        if (_keys is null || _keys.Version != version || !_keys.TryRekey(secret))
        {
            _keys?.Dispose();
            _keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, secret, version);
        }
        CryptographicOperations.ZeroMemory(secret);
        return _keys;
    }

    /// <summary>Walks the frames of a payload <see cref="ScanFrames"/> accepted and hands over the CRYPTO data.</summary>
    private static void DeliverCrypto(ReadOnlySpan<byte> payload, IInitialCryptoSink sink)
    {
        var r = new WireReader(payload, TransportErrorCode.FrameEncodingError, "frame");
        while (!r.IsEmpty)
        {
            ulong type = r.ReadVarInt();
            if (type is 0x02 or 0x03) AckFrame.Read(ref r, type);
            else if (type == 0x06 && CryptoFrame.Read(ref r, type) is { Data.IsEmpty: false } f) sink.OnCryptoData(f.Offset, f.Data);
        }
    }

    /// <summary>
    /// RFC 9000 §12.4 / §17.2.2: an Initial carries only PADDING, PING, ACK, CRYPTO and
    /// CONNECTION_CLOSE. A first flight needs CRYPTO data; if offset 0 is in this packet it must begin
    /// a ClientHello (handshake type 1, RFC 8446 §4) of a sane length. Fragments further on are
    /// accepted (a large ClientHello spans several packets, which may arrive in any order).
    /// </summary>
    private static InitialVerdict ScanFrames(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) return InitialVerdict.Malformed;
        var r = new WireReader(payload, TransportErrorCode.FrameEncodingError, "frame");
        bool crypto = false;
        try
        {
            while (!r.IsEmpty)
            {
                ulong type = r.ReadVarInt();
                switch (type)
                {
                    case 0x00:
                    case 0x01:
                        break;
                    case 0x02:
                    case 0x03:
                        AckFrame.Read(ref r, type);
                        break;
                    case 0x06:
                    {
                        var f = CryptoFrame.Read(ref r, type);
                        if (f.Data.IsEmpty) break;
                        if (f.Offset + (ulong)f.Data.Length > MaxClientHelloLength) return InitialVerdict.NoClientHello;
                        if (f.Offset == 0)
                        {
                            if (f.Data[0] != 0x01) return InitialVerdict.NoClientHello;
                            if (f.Data.Length >= 4)
                            {
                                int helloLength = f.Data[1] << 16 | f.Data[2] << 8 | f.Data[3];
                                if (helloLength == 0 || helloLength + 4 > MaxClientHelloLength) return InitialVerdict.NoClientHello;
                            }
                        }
                        crypto = true;
                        break;
                    }
                    default:
                        // CONNECTION_CLOSE in a first flight opens nothing; anything else is not allowed here.
                        return InitialVerdict.Malformed;
                }
            }
        }
        catch (QuicProtocolException)
        {
            return InitialVerdict.Malformed;
        }
        return crypto ? InitialVerdict.ClientHello : InitialVerdict.NoClientHello;
    }
}
