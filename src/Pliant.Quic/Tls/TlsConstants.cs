namespace Pliant.Quic.Tls;

/// <summary>TLS alert descriptions (RFC 8446 §6).</summary>
internal static class TlsAlert
{
    public const byte UnexpectedMessage = 10;
    public const byte HandshakeFailure = 40;
    public const byte BadCertificate = 42;
    public const byte UnsupportedCertificate = 43;
    public const byte CertificateExpired = 45;
    public const byte CertificateUnknown = 46;
    public const byte IllegalParameter = 47;
    public const byte UnknownCa = 48;
    public const byte DecodeError = 50;
    public const byte DecryptError = 51;
    public const byte ProtocolVersion = 70;
    public const byte InternalError = 80;
    public const byte MissingExtension = 109;
    public const byte UnsupportedExtension = 110;
    public const byte NoApplicationProtocol = 120;

    /// <summary>CRYPTO_ERROR(decode_error), the error code for WireReader-based TLS parsers.</summary>
    public const TransportErrorCode DecodeErrorCode = (TransportErrorCode)(0x100 + DecodeError);

    public static QuicProtocolException Error(byte alert, string message) => QuicProtocolException.Crypto(alert, message);
}

/// <summary>Handshake message types (RFC 8446 §4).</summary>
internal static class HandshakeType
{
    public const byte ClientHello = 1;
    public const byte ServerHello = 2;
    public const byte NewSessionTicket = 4;
    public const byte EndOfEarlyData = 5;
    public const byte EncryptedExtensions = 8;
    public const byte Certificate = 11;
    public const byte CertificateRequest = 13;
    public const byte CertificateVerify = 15;
    public const byte Finished = 20;
    public const byte KeyUpdate = 24;
    public const byte MessageHash = 254;

    public static string Name(byte t) => t switch
    {
        ClientHello => "ClientHello",
        ServerHello => "ServerHello",
        NewSessionTicket => "NewSessionTicket",
        EndOfEarlyData => "EndOfEarlyData",
        EncryptedExtensions => "EncryptedExtensions",
        Certificate => "Certificate",
        CertificateRequest => "CertificateRequest",
        CertificateVerify => "CertificateVerify",
        Finished => "Finished",
        KeyUpdate => "KeyUpdate",
        _ => $"handshake type {t}",
    };
}

/// <summary>Extension types (RFC 8446 §4.2, RFC 7301, RFC 9001 §8.2).</summary>
internal static class ExtensionType
{
    public const ushort ServerName = 0;
    public const ushort SupportedGroups = 10;
    public const ushort SignatureAlgorithms = 13;
    public const ushort Alpn = 16;
    public const ushort Padding = 21; // RFC 7685
    public const ushort PreSharedKey = 41;
    public const ushort EarlyData = 42;
    public const ushort SupportedVersions = 43;
    public const ushort Cookie = 44;
    public const ushort PskKeyExchangeModes = 45;
    public const ushort KeyShare = 51;
    public const ushort QuicTransportParameters = 0x39;
}

/// <summary>Signature schemes (RFC 8446 §4.2.3).</summary>
internal static class SignatureScheme
{
    public const ushort EcdsaSecp256r1Sha256 = 0x0403;
    public const ushort EcdsaSecp384r1Sha384 = 0x0503;
    public const ushort RsaPssRsaeSha256 = 0x0804;
    public const ushort RsaPssRsaeSha384 = 0x0805;
    public const ushort RsaPssRsaeSha512 = 0x0806;

    /// <summary>What the client offers and accepts in CertificateVerify (no rsa_pkcs1: RFC 8446 §4.4.3).</summary>
    public static readonly ushort[] Supported =
        [EcdsaSecp256r1Sha256, RsaPssRsaeSha256, EcdsaSecp384r1Sha384, RsaPssRsaeSha384, RsaPssRsaeSha512];
}

internal static class TlsVersion
{
    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;
}
