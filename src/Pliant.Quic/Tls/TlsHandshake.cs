using System.Security.Cryptography.X509Certificates;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tls;

/// <summary>
/// A sans-IO TLS 1.3 handshake for QUIC (RFC 8446, RFC 9001 §4), client or server. Feed it the
/// peer's CRYPTO bytes per encryption level with <see cref="HandleCryptoData"/> and poll the
/// results (handshake bytes to send, secrets, completion) in order with <see cref="TryPollEvent"/>.
/// Every problem with peer input is a <see cref="QuicProtocolException"/> carrying CRYPTO_ERROR
/// (0x100 + TLS alert, RFC 9001 §4.8).
/// </summary>
public sealed partial class TlsHandshake
{
    private readonly bool _isClient;
    private byte[] _localTransportParameters;

    /// <summary>
    /// Server: called with the client's quic_transport_parameters as soon as the ClientHello is parsed,
    /// before any key is derived; a non-null result replaces our transport parameters. QUIC uses it for
    /// compatible version negotiation (RFC 9368 §2.3), where the chosen version changes both.
    /// </summary>
    internal Func<byte[], byte[]?>? ClientTransportParametersReceived { get; set; }
    private readonly Queue<TlsEvent> _events = new();
    private readonly HandshakeReassembler[] _input = [new(), new(), new(), new()];
    private Transcript _transcript = new();
    private KeySchedule? _keys;
    private byte[]? _clientHandshakeSecret, _serverHandshakeSecret;
    private QuicProtocolException? _failure;

    private TlsHandshake(bool isClient, byte[] localTransportParameters)
    {
        ArgumentNullException.ThrowIfNull(localTransportParameters);
        _isClient = isClient;
        _localTransportParameters = localTransportParameters;
    }

    /// <summary>Creates the client side; call <see cref="Start"/> to produce the ClientHello.</summary>
    public static TlsHandshake CreateClient(TlsClientOptions options, byte[] localTransportParameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ApplicationProtocols.Count == 0) throw new ArgumentException("ALPN is required with QUIC", nameof(options));
        if (options.CipherSuites.Count == 0 || options.Groups.Count == 0) throw new ArgumentException("no cipher suites or groups", nameof(options));
        if (options.ClientHelloPadding is < 0 or > TlsClientOptions.MaxClientHelloPadding)
            throw new ArgumentException($"ClientHelloPadding is 0 to {TlsClientOptions.MaxClientHelloPadding} bytes", nameof(options));
        // Chain validation without a name to match would accept any publicly trusted certificate (issue 11 item 6).
        if (options.Validation.Mode == CertificateValidationMode.SystemRoots && string.IsNullOrEmpty(options.ServerName))
            throw new ArgumentException("certificate validation against trusted roots needs ServerName (the host name or IP address " +
                "the certificate must name); use a pinned certificate to connect without one", nameof(options));
        return new TlsHandshake(true, localTransportParameters) { _clientOptions = options, ServerName = options.ServerName };
    }

    /// <summary>Creates the server side; it starts when the ClientHello arrives.</summary>
    public static TlsHandshake CreateServer(TlsServerOptions options, byte[] localTransportParameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Certificate.HasPrivateKey) throw new ArgumentException("the server certificate needs its private key", nameof(options));
        if (options.ApplicationProtocols.Count == 0) throw new ArgumentException("ALPN is required with QUIC", nameof(options));
        if (options.CipherSuites.Count == 0 || options.Groups.Count == 0) throw new ArgumentException("no cipher suites or groups", nameof(options));
        if (options.TicketKey is { Length: not (16 or 24 or 32) }) throw new ArgumentException("TicketKey must be 16, 24 or 32 bytes", nameof(options));
        // The strike register is resolved once, so every connection of a server consults the same one.
        var antiReplay = options.EnableEarlyData && options.TicketKey is { } key
            ? options.AntiReplay ?? ZeroRttAntiReplay.ForTicketKey(key, options.Time)
            : null;
        return new TlsHandshake(false, localTransportParameters) { _serverOptions = options, _antiReplay = antiReplay };
    }

    /// <summary>True once this side has sent and received both Finished messages.</summary>
    public bool IsHandshakeComplete { get; private set; }

    /// <summary>The negotiated cipher suite once known.</summary>
    public CipherSuite? Suite { get; private set; }

    /// <summary>The negotiated ALPN protocol.</summary>
    public string? ApplicationProtocol { get; private set; }

    /// <summary>Client: the name it asked for; server: the SNI the client sent.</summary>
    public string? ServerName { get; private set; }

    /// <summary>The peer's encoded quic_transport_parameters.</summary>
    public byte[]? PeerTransportParameters { get; private set; }

    /// <summary>The server's leaf certificate (client side, full handshakes).</summary>
    public X509Certificate2? PeerCertificate { get; private set; }

    /// <summary>True when a resumption PSK was accepted.</summary>
    public bool IsResumed { get; private set; }

    /// <summary>Null when 0-RTT was not offered; else whether the server accepted it.</summary>
    public bool? EarlyDataAccepted { get; private set; }

    /// <summary>
    /// Server: what the anti-replay register decided about the client's 0-RTT data, when the rest of the
    /// handshake allowed it (null otherwise: not offered, not enabled, no usable ticket, HelloRetryRequest).
    /// </summary>
    public ZeroRttDecision? EarlyDataDecision { get; private set; }

    /// <summary>Client: the ticket offered in the ClientHello (accepted when <see cref="IsResumed"/>).</summary>
    public TlsSessionTicket? UsedTicket { get; private set; }

    /// <summary>Client: queues the ClientHello (and the 0-RTT write secret when resuming with early data). No-op on a server.</summary>
    public void Start()
    {
        if (!_isClient) return;
        if (_clientState != ClientState.Idle) throw new InvalidOperationException("the handshake has already started");
        ClientStart();
    }

    /// <summary>Gives the handshake in-order CRYPTO bytes received at <paramref name="level"/>.</summary>
    /// <exception cref="QuicProtocolException">CRYPTO_ERROR for anything wrong in the peer's messages.</exception>
    public void HandleCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data)
    {
        if (_failure is not null) throw new InvalidOperationException("the handshake has failed", _failure);
        if (_isClient && _clientState == ClientState.Idle) throw new InvalidOperationException("call Start first");
        try
        {
            // RFC 9001 §8.3: a CRYPTO frame in a 0-RTT packet is a PROTOCOL_VIOLATION.
            if (level == EncryptionLevel.ZeroRtt) throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "CRYPTO data at the 0-RTT level");
            var input = _input[(int)level];
            input.Append(data);
            while (input.TryTake(out byte type, out byte[] message))
            {
                // RFC 9001 §4.1.3 / §6 / §8.3: each message has one level; KeyUpdate and EndOfEarlyData are forbidden.
                EncryptionLevel? expected = type switch
                {
                    HandshakeType.ClientHello or HandshakeType.ServerHello => EncryptionLevel.Initial,
                    HandshakeType.EncryptedExtensions or HandshakeType.Certificate or HandshakeType.CertificateRequest
                        or HandshakeType.CertificateVerify or HandshakeType.Finished => EncryptionLevel.Handshake,
                    HandshakeType.NewSessionTicket => EncryptionLevel.OneRtt,
                    _ => null,
                };
                if (expected != level)
                    throw TlsAlert.Error(TlsAlert.UnexpectedMessage, $"{HandshakeType.Name(type)} not allowed at the {level} level");
                if (_isClient) ClientMessage(type, message); else ServerMessage(type, message);
                // RFC 8446 §5.1 / RFC 9001 §4.1.3: no message may straddle a key change.
                if (ReadLevel != level && !input.IsEmpty)
                    throw TlsAlert.Error(TlsAlert.UnexpectedMessage, $"data after the last {level} message");
            }
        }
        catch (QuicProtocolException ex)
        {
            _failure = ex;
            throw;
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException
                                       or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // The cause stays attached: the fuzz harness tells a parser bug (an index or argument error) from a
            // crypto failure by it.
            _failure = new QuicProtocolException((TransportErrorCode)(0x100 + TlsAlert.InternalError), "TLS processing failed: " + ex.Message, ex);
            throw _failure;
        }
    }

    /// <summary>Takes the next output event, if any.</summary>
    public bool TryPollEvent(out TlsEvent e) => _events.TryDequeue(out e!);

    /// <summary>The level at which the next message from the peer is expected.</summary>
    private EncryptionLevel ReadLevel => _isClient
        ? _clientState switch
        {
            ClientState.Idle or ClientState.WaitServerHello => EncryptionLevel.Initial,
            ClientState.Connected => EncryptionLevel.OneRtt,
            _ => EncryptionLevel.Handshake,
        }
        : _serverState switch
        {
            ServerState.WaitClientHello => EncryptionLevel.Initial,
            ServerState.WaitFinished => EncryptionLevel.Handshake,
            _ => EncryptionLevel.OneRtt,
        };

    private void Emit(TlsEventKind kind, EncryptionLevel level = EncryptionLevel.Initial, byte[]? data = null, byte[]? secret = null, TlsSessionTicket? ticket = null) =>
        _events.Enqueue(new TlsEvent(kind, level, data, Suite ?? default, secret, ticket));

    private static QuicProtocolException Unexpected(byte type, string state) =>
        TlsAlert.Error(TlsAlert.UnexpectedMessage, $"unexpected {HandshakeType.Name(type)} while {state}");

    private static WireReader BodyReader(byte[] message, string what) => new(message.AsSpan(4), TlsAlert.DecodeErrorCode, what);

    private static void EnsureEnd(ref WireReader r)
    {
        if (!r.IsEmpty) throw r.Fail("trailing bytes");
    }

    /// <summary>Builds Finished (RFC 8446 §4.4.4).</summary>
    private static byte[] FinishedMessage(byte[] verifyData)
    {
        var w = new TlsWriter();
        int m = w.BeginMessage(HandshakeType.Finished);
        w.Bytes(verifyData);
        w.EndLength(m);
        return w.ToArray();
    }

    /// <summary>Checks a peer Finished against the transcript so far (RFC 8446 §4.4.4: decrypt_error on mismatch).</summary>
    private void VerifyFinished(byte[] message, byte[] baseKey)
    {
        var keys = _keys!;
        var body = message.AsSpan(4);
        if (body.Length != keys.HashLength) throw TlsAlert.Error(TlsAlert.DecodeError, "Finished: wrong length");
        byte[] expected = keys.VerifyData(baseKey, _transcript.Hash(keys.Hash));
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, body))
            throw TlsAlert.Error(TlsAlert.DecryptError, "Finished: verify_data mismatch");
    }

    /// <summary>RFC 8446 §4.1.3: the special ServerHello.random of a HelloRetryRequest.</summary>
    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];
}
