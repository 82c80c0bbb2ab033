using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pliant.AspNetCore.Internal;

namespace Pliant.AspNetCore;

/// <summary><c>builder.WebHost.UsePliantQuic()</c>: Kestrel serves HTTP/3 over Pliant.</summary>
public static class PliantWebHostBuilderExtensions
{
    /// <summary>
    /// Makes Pliant Kestrel's QUIC transport (replacing the msquic one where that is available) and turns
    /// HTTP/3 on for every endpoint that does not choose its protocols, next to HTTP/1.1 and HTTP/2 (whose
    /// responses then advertise it with <c>Alt-Svc</c>). HTTP/3 needs HTTPS: the certificate comes from Kestrel's
    /// usual configuration (<c>Kestrel:Certificates:Default</c>, <c>UseHttps</c>, the development certificate).
    /// With <see cref="PliantQuicTransportOptions.EnableEarlyData"/>, requests that arrived as 0-RTT early data
    /// and whose method is not safe are answered 425 Too Early before the application's middleware runs.
    /// </summary>
    public static IWebHostBuilder UsePliantQuic(this IWebHostBuilder builder, Action<PliantQuicTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Kestrel's endpoints default to HTTP/1.1 and HTTP/2; with a QUIC transport HTTP/3 joins them. An endpoint
        // that sets its own Protocols (in Listen, or in configuration) keeps what it set.
        builder.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http1AndHttp2AndHttp3));
        return builder.ConfigureServices(services =>
        {
            services.RemoveAll<IMultiplexedConnectionListenerFactory>();
            services.AddSingleton<IMultiplexedConnectionListenerFactory, PliantQuicTransportFactory>();
            services.AddOptions<PliantQuicTransportOptions>();
            if (configure is not null) services.Configure(configure);
            services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, EarlyDataStartupFilter>());
        });
    }
}
