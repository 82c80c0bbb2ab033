using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pliant.AspNetCore.Internal;

/// <summary>
/// RFC 8470 §5.2: a request that arrived as TLS early data (<see cref="IEarlyDataFeature"/>), or that an
/// intermediary forwarded as such (<c>Early-Data: 1</c>, §5.1), may be a replay. Unless its method is in
/// <see cref="PliantQuicTransportOptions.EarlyDataMethods"/>, it is answered 425 Too Early without running
/// the application; the client sends it again once its handshake is complete.
/// </summary>
internal sealed class EarlyDataMiddleware(RequestDelegate next, PliantQuicTransportOptions options, ILogger log)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!IsEarly(context) || !MustWait(context.Request.Method)) return next(context);
        Log.TooEarly(log, context.Request.Method, context.Request.Path);
        context.Response.StatusCode = 425; // Too Early (RFC 8470 §5.2)
        return Task.CompletedTask;
    }

    private bool MustWait(string method) => options.EarlyDataPolicy switch
    {
        EarlyDataPolicy.Accept => false,
        EarlyDataPolicy.RejectAll => true,
        _ => !options.EarlyDataMethods.Contains(method),
    };

    private static bool IsEarly(HttpContext context) =>
        context.Features.Get<IEarlyDataFeature>() is { IsEarlyData: true }
        || context.Request.Headers.TryGetValue("Early-Data", out var v) && v.Count == 1 && v[0]?.Trim() == "1";
}

/// <summary>Puts <see cref="EarlyDataMiddleware"/> first in the pipeline when early data is enabled and not simply accepted.</summary>
internal sealed class EarlyDataStartupFilter(IOptions<PliantQuicTransportOptions> options, ILoggerFactory loggerFactory) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var o = options.Value;
        if (o.EnableEarlyData && o.EarlyDataPolicy != EarlyDataPolicy.Accept)
        {
            var log = loggerFactory.CreateLogger("Pliant.AspNetCore");
            app.Use(n => new EarlyDataMiddleware(n, o, log).InvokeAsync);
        }
        next(app);
    };
}
