using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pliant.AspNetCore.Internal;

namespace Pliant.AspNetCore;

/// <summary>
/// Kestrel's seam for QUIC transports (<see cref="IMultiplexedConnectionListenerFactory"/>), backed by Pliant:
/// each HTTP/3 endpoint gets a Pliant <see cref="Net.QuicListener"/> on the endpoint's UDP port. Registered by
/// <see cref="PliantWebHostBuilderExtensions.UsePliantQuic(Microsoft.AspNetCore.Hosting.IWebHostBuilder, Action{PliantQuicTransportOptions}?)"/>.
/// </summary>
public sealed class PliantQuicTransportFactory : IMultiplexedConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly PliantQuicTransportOptions _options;
    private readonly KestrelServerLimits _limits;
    private readonly ILogger _log;

    /// <summary>Created by dependency injection.</summary>
    public PliantQuicTransportFactory(IOptions<PliantQuicTransportOptions> options, IOptions<KestrelServerOptions> kestrel, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _limits = kestrel.Value.Limits;
        _log = loggerFactory.CreateLogger("Pliant.AspNetCore");
    }

    /// <summary>QUIC runs over UDP: IP endpoints only.</summary>
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    /// <summary>
    /// Starts a QUIC listener for <paramref name="endpoint"/>. Kestrel passes its HTTPS configuration as a
    /// <see cref="TlsConnectionCallbackOptions"/> feature; without it there is nothing to serve HTTP/3 with.
    /// </summary>
    public async ValueTask<IMultiplexedConnectionListener> BindAsync(EndPoint endpoint, IFeatureCollection? features = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is not IPEndPoint ip)
            throw new InvalidOperationException("QUIC listens on IP endpoints only, not " + endpoint.GetType().Name + ".");
        var tls = features?.Get<TlsConnectionCallbackOptions>()
            ?? throw new InvalidOperationException("HTTP/3 needs HTTPS: the endpoint " + endpoint + " has no TLS configuration for QUIC.");
        var listenerOptions = await ListenerOptionsFactory.CreateAsync(ip, tls, _options, _limits, cancellationToken).ConfigureAwait(false);
        var settings = new StreamSettings(ListenerOptionsFactory.ReadBufferSize(_options, _limits), _options.MaxWriteBufferSize,
            _options.DefaultStreamErrorCode, _options.DefaultCloseErrorCode);
        return await PliantConnectionListener.BindAsync(listenerOptions, settings, _log, cancellationToken).ConfigureAwait(false);
    }
}
