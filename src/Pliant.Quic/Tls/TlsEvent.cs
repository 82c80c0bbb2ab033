using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tls;

/// <summary>What a <see cref="TlsEvent"/> tells the QUIC layer.</summary>
public enum TlsEventKind
{
    /// <summary>Handshake bytes to send in CRYPTO frames at <see cref="TlsEvent.Level"/>.</summary>
    HandshakeData,
    /// <summary>A secret for decrypting packets at <see cref="TlsEvent.Level"/>.</summary>
    ReadSecret,
    /// <summary>A secret for encrypting packets at <see cref="TlsEvent.Level"/>.</summary>
    WriteSecret,
    /// <summary>The peer's quic_transport_parameters extension (<see cref="TlsEvent.Data"/>).</summary>
    PeerTransportParameters,
    /// <summary>The TLS handshake is complete (RFC 9001 §4.1.1).</summary>
    HandshakeComplete,
    /// <summary>The client received a session ticket (<see cref="TlsEvent.Ticket"/>).</summary>
    NewSessionTicket,
    /// <summary>The client offered 0-RTT and the server did not accept it (RFC 9001 §4.6.2).</summary>
    EarlyDataRejected,
}

/// <summary>One output of <see cref="TlsHandshake"/>, polled in order with <see cref="TlsHandshake.TryPollEvent"/>.</summary>
public sealed class TlsEvent
{
    internal TlsEvent(TlsEventKind kind, EncryptionLevel level = EncryptionLevel.Initial, byte[]? data = null,
        CipherSuite suite = default, byte[]? secret = null, TlsSessionTicket? ticket = null)
    {
        Kind = kind;
        Level = level;
        Data = data;
        Suite = suite;
        Secret = secret;
        Ticket = ticket;
    }

    /// <summary>What happened.</summary>
    public TlsEventKind Kind { get; }

    /// <summary>The encryption level for HandshakeData, ReadSecret and WriteSecret.</summary>
    public EncryptionLevel Level { get; }

    /// <summary>Handshake bytes (HandshakeData) or the encoded transport parameters (PeerTransportParameters).</summary>
    public byte[]? Data { get; }

    /// <summary>The cipher suite the secret is used with (ReadSecret/WriteSecret).</summary>
    public CipherSuite Suite { get; }

    /// <summary>The traffic secret (ReadSecret/WriteSecret).</summary>
    public byte[]? Secret { get; }

    /// <summary>The ticket (NewSessionTicket).</summary>
    public TlsSessionTicket? Ticket { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Level}";
}
