using Pliant.Quic.Tls;
using CoreConnectionOptions = Pliant.Quic.Connection.QuicConnectionOptions;

namespace Pliant.Net.Internal;

/// <summary>Turns the public options into the core's <see cref="CoreConnectionOptions"/>.</summary>
internal static class CoreOptions
{
    private static readonly CoreConnectionOptions Defaults = new();
    private static readonly TlsClientOptions ClientDefaults = new();
    private static readonly TlsServerOptions ServerDefaults = new() { Certificate = null! };

    public static CoreConnectionOptions ForClient(QuicClientConnectionOptions o) => new()
    {
        Client = new TlsClientOptions
        {
            ServerName = o.ServerName ?? ReferenceIdentity(o),
            ApplicationProtocols = o.ApplicationProtocols,
            Validation = o.CertificateValidation,
            CipherSuites = o.CipherSuites ?? ClientDefaults.CipherSuites,
            Groups = o.Groups ?? ClientDefaults.Groups,
            ResumptionTicket = o.ResumptionTicket,
            EnableEarlyData = o.EnableEarlyData,
            ClientHelloPadding = o.ClientHelloPadding,
        },
        InitialVersion = o.Version,
        Versions = o.Versions ?? Defaults.Versions,
        IdleTimeout = o.IdleTimeout ?? Defaults.IdleTimeout,
        HandshakeTimeout = o.HandshakeTimeout ?? Defaults.HandshakeTimeout,
        InitialMaxData = o.InitialMaxData ?? Defaults.InitialMaxData,
        InitialMaxStreamData = o.InitialMaxStreamData ?? Defaults.InitialMaxStreamData,
        MaxBidirectionalStreams = o.MaxInboundBidirectionalStreams,
        MaxUnidirectionalStreams = o.MaxInboundUnidirectionalStreams,
        MaxUdpPayloadSize = o.MaxUdpPayloadSize ?? Defaults.MaxUdpPayloadSize,
        CongestionControl = o.CongestionControl ?? Defaults.CongestionControl,
        MaxPathId = o.MaxPathId,
        PathScheduler = o.PathScheduler,
        EnableEcn = o.EnableEcn,
        MaxDatagramFrameSize = o.MaxDatagramFrameSize,
        ExtraTransportParameters = o.ExtraTransportParameters,
        QlogDirectory = o.QlogDirectory ?? Pliant.Quic.Diagnostics.QlogTrace.DirectoryFromEnvironment(),
        QlogFormat = o.QlogFormat ?? Pliant.Quic.Diagnostics.QlogTrace.FormatFromEnvironment(),
    };

    /// <summary>
    /// Without a ServerName, a certificate checked against trusted roots must name the IP address we
    /// connect to (an iPAddress subjectAltName, RFC 9525 §6.2.1) — never "any trusted certificate".
    /// </summary>
    private static string? ReferenceIdentity(QuicClientConnectionOptions o)
    {
        if (o.CertificateValidation.Mode != CertificateValidationMode.SystemRoots) return null;
        var address = o.RemoteEndPoint.Address;
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    public static CoreConnectionOptions ForServer(QuicListenerOptions l)
    {
        var o = l.ConnectionOptions;
        return new CoreConnectionOptions
        {
            Server = new TlsServerOptions
            {
                Certificate = l.ServerCertificate,
                Chain = l.ServerCertificateChain,
                ApplicationProtocols = l.ApplicationProtocols,
                CipherSuites = l.CipherSuites ?? ServerDefaults.CipherSuites,
                Groups = l.Groups ?? ServerDefaults.Groups,
                TicketKey = l.TicketKey,
                EnableEarlyData = l.EnableEarlyData,
            },
            IdleTimeout = o.IdleTimeout ?? Defaults.IdleTimeout,
            HandshakeTimeout = o.HandshakeTimeout ?? Defaults.HandshakeTimeout,
            InitialMaxData = o.InitialMaxData ?? Defaults.InitialMaxData,
            InitialMaxStreamData = o.InitialMaxStreamData ?? Defaults.InitialMaxStreamData,
            MaxBidirectionalStreams = o.MaxInboundBidirectionalStreams,
            MaxUnidirectionalStreams = o.MaxInboundUnidirectionalStreams,
            MaxUdpPayloadSize = o.MaxUdpPayloadSize ?? Defaults.MaxUdpPayloadSize,
            CongestionControl = o.CongestionControl ?? Defaults.CongestionControl,
            MaxPathId = o.MaxPathId,
            PathScheduler = o.PathScheduler,
            EnableEcn = o.EnableEcn,
            ExtraTransportParameters = o.ExtraTransportParameters,
            MaxDatagramFrameSize = o.MaxDatagramFrameSize,
            QlogDirectory = o.QlogDirectory ?? Pliant.Quic.Diagnostics.QlogTrace.DirectoryFromEnvironment(),
            QlogFormat = o.QlogFormat ?? Pliant.Quic.Diagnostics.QlogTrace.FormatFromEnvironment(),
        };
    }
}
