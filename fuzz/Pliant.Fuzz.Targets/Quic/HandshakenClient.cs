using Pliant.Quic;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// Just enough of a QUIC client, written for the harness, to finish a real handshake with the server
/// endpoint and hold its 1-RTT keys: it sends the ClientHello in a protected Initial, decrypts the
/// server's Initial and Handshake packets, feeds their CRYPTO frames to a client
/// <see cref="TlsHandshake"/> and sends its Finished in a Handshake packet. Then any plaintext can be
/// sent as a correctly protected 1-RTT packet, so the server's frame handlers (streams, flow control,
/// connection IDs, paths, key updates, datagrams...) see the fuzzer's bytes.
/// <para>Bound: at most <see cref="MaxRounds"/> request/response rounds; a handshake that does not
/// complete by then throws (the harness or the server broke, and the fuzzer should say so).</para>
/// </summary>
internal sealed class HandshakenClient
{
    public const int MaxRounds = 8;

    private static readonly Lazy<PacketKeys> s_initialRead = new(() =>
    {
        InitialSecrets.CreateKeys(QuicVersion.V1, ClientInitial.Dcid, isServer: false, out _, out var receive);
        return receive;
    });

    private readonly EndpointHarness _server;
    private readonly TlsHandshake _tls;
    private readonly ulong[] _received = new ulong[4];   // CRYPTO bytes handed to TLS, per level
    private readonly ulong[] _sent = new ulong[4];       // CRYPTO bytes sent, per level
    private readonly List<byte[]> _inbox = [];
    private PacketKeys? _handshakeRead, _handshakeWrite, _appWrite;
    private byte[]? _serverCid;
    private uint _initialPn, _handshakePn, _appPn;
    private bool _keyPhase;

    private HandshakenClient(EndpointHarness server)
    {
        _server = server;
        _server.Captured = _inbox;
        // P-256 only: the server's managed X25519 costs two scalar multiplications per run, OpenSSL's
        // P-256 less; the handshake is the fixed cost of every run of this target.
        _tls = TlsHandshake.CreateClient(new TlsClientOptions
            {
                ServerName = "localhost", Validation = CertificateValidation.Insecure, Groups = [NamedGroup.Secp256r1],
            },
            FixedKeys.TransportParameters(server: false, ClientInitial.Scid.ToArray()));
    }

    /// <summary>Handshakes with <paramref name="server"/>; throws when it does not complete.</summary>
    public static HandshakenClient Connect(EndpointHarness server)
    {
        var c = new HandshakenClient(server);
        c._tls.Start();
        c.Pump();
        for (int round = 0; round < MaxRounds && !(c._tls.IsHandshakeComplete && c._appWrite is not null); round++)
        {
            // Each padded Initial also raises the server's anti-amplification budget (RFC 9000 §8.1).
            if (round > 0) c._server.Deliver(0x10, ClientInitial.Datagram([0x01], c._initialPn++));
            c.ReadServer();
            c.Pump();
        }
        if (!c._tls.IsHandshakeComplete || c._appWrite is null || c._serverCid is null)
            throw new InvalidOperationException("the harness's client could not complete a handshake with the server");
        return c;
    }

    /// <summary>
    /// Sends <paramref name="plaintext"/> as the payload of one 1-RTT packet. <paramref name="control"/> as
    /// in <see cref="EndpointHarness.Deliver"/>; its bit 2 also starts a key update (RFC 9001 §6).
    /// </summary>
    public void Send(byte control, ReadOnlySpan<byte> plaintext)
    {
        if ((control & 0x04) != 0)
        {
            _appWrite = _appWrite!.NextGeneration();
            _keyPhase = !_keyPhase;
        }
        _server.Deliver(control, ClientInitial.ShortPacket(_appWrite!, _serverCid, plaintext, _appPn++, _keyPhase));
        _inbox.Clear();
    }

    /// <summary>Handles TLS output: new keys, and CRYPTO data to send at its level.</summary>
    private void Pump()
    {
        while (_tls.TryPollEvent(out var e))
        {
            switch (e.Kind)
            {
                case TlsEventKind.ReadSecret when e.Level == EncryptionLevel.Handshake:
                    _handshakeRead = PacketKeys.Create(e.Suite, e.Secret, QuicVersion.V1);
                    break;
                case TlsEventKind.WriteSecret when e.Level == EncryptionLevel.Handshake:
                    _handshakeWrite = PacketKeys.Create(e.Suite, e.Secret, QuicVersion.V1);
                    break;
                case TlsEventKind.WriteSecret when e.Level == EncryptionLevel.OneRtt:
                    _appWrite = PacketKeys.Create(e.Suite, e.Secret, QuicVersion.V1);
                    break;
                case TlsEventKind.HandshakeData:
                    var frame = ClientInitial.CryptoFrame(_sent[(int)e.Level], e.Data);
                    _sent[(int)e.Level] += (ulong)e.Data!.Length;
                    if (e.Level == EncryptionLevel.Initial) _server.Deliver(0, ClientInitial.Datagram(frame, _initialPn++));
                    else if (e.Level == EncryptionLevel.Handshake && _handshakeWrite is not null && _serverCid is not null)
                        _server.Deliver(0, ClientInitial.LongPacket(0x20, _handshakeWrite, _serverCid, frame, _handshakePn++, padTo: 0));
                    break;
            }
        }
    }

    /// <summary>Decrypts what the server sent and gives its CRYPTO frames to TLS.</summary>
    private void ReadServer()
    {
        var datagrams = _inbox.ToArray();
        _inbox.Clear();
        foreach (var datagram in datagrams)
        {
            int offset = 0;
            while (offset < datagram.Length)
            {
                var rest = datagram.AsSpan(offset);
                if (!PacketHeader.TryParse(rest, ClientInitial.Scid.Length, out var h) || !h.IsLongHeader) break;
                int length = h.PacketLength;
                if (length <= 0 || length > rest.Length) break;
                var (level, keys) = h.Type switch
                {
                    PacketType.Initial => (EncryptionLevel.Initial, s_initialRead.Value),
                    PacketType.Handshake => (EncryptionLevel.Handshake, _handshakeRead),
                    _ => (EncryptionLevel.Initial, null),
                };
                if (h.Type == PacketType.Initial) _serverCid ??= h.SourceConnectionId.Span.ToArray();
                if (keys is not null) Open(rest[..length].ToArray(), h.PacketNumberOffset, level, keys);
                Pump(); // the ServerHello just read yields the Handshake keys for the next packet
                offset += length;
            }
        }
    }

    private void Open(byte[] packet, int pnOffset, EncryptionLevel level, PacketKeys keys)
    {
        if (!PacketProtector.TryRemoveHeaderProtection(packet, pnOffset, keys, out int pnLength, out ulong truncated)) return;
        // The server's packet numbers here are small: the truncated value is the full one.
        if (!PacketProtector.TryDecrypt(packet, pnOffset, pnLength, truncated, keys, out int payloadLength)) return;
        ReadFrames(packet.AsSpan(pnOffset + pnLength, payloadLength), level);
    }

    /// <summary>The frames a server puts in Initial and Handshake packets (RFC 9000 §12.4, Table 3).</summary>
    private void ReadFrames(ReadOnlySpan<byte> p, EncryptionLevel level)
    {
        while (!p.IsEmpty)
        {
            byte type = p[0];
            p = p[1..];
            switch (type)
            {
                case 0x00 or 0x01: break; // PADDING, PING
                case 0x02 or 0x03:
                {
                    Skip(ref p, 2); // largest, delay
                    ulong ranges = Read(ref p);
                    Skip(ref p, 1 + 2 * (int)Math.Min(ranges, 64));
                    if (type == 0x03) Skip(ref p, 3);
                    break;
                }
                case 0x06:
                {
                    ulong offset = Read(ref p), length = Read(ref p);
                    if (length > (ulong)p.Length) return;
                    var data = p[..(int)length];
                    p = p[(int)length..];
                    ulong have = _received[(int)level];
                    if (offset <= have && offset + length > have)
                    {
                        var fresh = data[(int)(have - offset)..];
                        _received[(int)level] += (ulong)fresh.Length;
                        _tls.HandleCryptoData(level, fresh);
                    }
                    break;
                }
                default: return; // CONNECTION_CLOSE or anything else: stop reading this packet
            }
        }
    }

    private static ulong Read(ref ReadOnlySpan<byte> p)
    {
        if (!VarInt.TryRead(p, out ulong v, out int n)) { p = default; return 0; }
        p = p[n..];
        return v;
    }

    private static void Skip(ref ReadOnlySpan<byte> p, int count)
    {
        for (int i = 0; i < count; i++) Read(ref p);
    }
}
