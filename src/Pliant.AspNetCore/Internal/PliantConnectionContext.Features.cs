using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Pliant.Net;
using Pliant.Quic.Crypto;

namespace Pliant.AspNetCore.Internal;

/// <summary>The features of a QUIC connection: error code, TLS, and the Pliant connection itself.</summary>
internal sealed partial class PliantConnectionContext :
    IProtocolErrorCodeFeature,
    ITlsConnectionFeature,
    ITlsHandshakeFeature,
    IQuicConnectionFeature,
    IConnectionIdFeature,
    IConnectionItemsFeature,
    IConnectionLifetimeFeature
{
    private TransportFeatureCollection CreateFeatures() => new(null,
        (typeof(IProtocolErrorCodeFeature), this),
        (typeof(ITlsConnectionFeature), this),
        (typeof(ITlsHandshakeFeature), this),
        (typeof(IQuicConnectionFeature), this),
        (typeof(IConnectionIdFeature), this),
        (typeof(IConnectionItemsFeature), this),
        (typeof(IConnectionLifetimeFeature), this));

    /// <summary>The application error code a close uses (RFC 9114 §8.1); -1 until set.</summary>
    public long Error
    {
        get => _error ?? -1;
        set
        {
            PliantStreamContext.ValidateErrorCode(value);
            _error = value;
        }
    }

    // TLS client certificates are not requested by Pliant's TLS server.
    public X509Certificate2? ClientCertificate { get; set; }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);

    public SslProtocols Protocol => SslProtocols.Tls13; // RFC 9001 §4.2: QUIC is TLS 1.3 only

    public TlsCipherSuite? NegotiatedCipherSuite => _connection.NegotiatedCipherSuite switch
    {
        CipherSuite.Aes128GcmSha256 => TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.Aes256GcmSha384 => TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.ChaCha20Poly1305Sha256 => TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        _ => null,
    };

    public string HostName => _connection.TargetHostName ?? "";

#pragma warning disable SYSLIB0058 // the legacy members still belong to the interface
    public CipherAlgorithmType CipherAlgorithm => _connection.NegotiatedCipherSuite switch
    {
        CipherSuite.Aes128GcmSha256 => CipherAlgorithmType.Aes128,
        CipherSuite.Aes256GcmSha384 => CipherAlgorithmType.Aes256,
        _ => CipherAlgorithmType.None,
    };

    public int CipherStrength => _connection.NegotiatedCipherSuite switch
    {
        CipherSuite.Aes128GcmSha256 => 128,
        CipherSuite.Aes256GcmSha384 or CipherSuite.ChaCha20Poly1305Sha256 => 256,
        _ => 0,
    };

    public HashAlgorithmType HashAlgorithm => _connection.NegotiatedCipherSuite == CipherSuite.Aes256GcmSha384 ? HashAlgorithmType.Sha384 : HashAlgorithmType.Sha256;

    public int HashStrength => 0;

    public ExchangeAlgorithmType KeyExchangeAlgorithm => ExchangeAlgorithmType.None;

    public int KeyExchangeStrength => 0;
#pragma warning restore SYSLIB0058

    QuicConnection IQuicConnectionFeature.Connection => _connection;
}
