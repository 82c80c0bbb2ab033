using System.Globalization;
using System.Text.Json.Serialization;

namespace Pliant.Samples.Http3Api;

/// <summary>The sample's endpoints (also mapped by Pliant.AspNetCore.Tests, which runs them under Kestrel and Pliant).</summary>
public static class Http3ApiEndpoints
{
    /// <summary>The largest download served (1 GiB).</summary>
    public const long MaxDownload = 1L << 30;

    /// <summary>
    /// <c>GET /</c>: a JSON greeting naming the protocol; <c>GET /stream?count=N</c>: N lines, each flushed as it is
    /// written; <c>GET /download?size=BYTES</c> (default 100 MiB): a deterministic byte pattern (<see cref="Fill"/>).
    /// </summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", (HttpContext ctx) => TypedResults.Json(new Greeting("hello from Kestrel over Pliant", ctx.Request.Protocol), SampleJson.Default.Greeting));
        app.MapGet("/stream", async (HttpContext ctx, int? count) =>
        {
            int n = Math.Clamp(count ?? 10, 0, 10_000);
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            for (int i = 0; i < n; i++)
            {
                await ctx.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"event {i}\n"), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            }
        });
        app.MapGet("/download", async (HttpContext ctx, long? size) =>
        {
            long total = Math.Clamp(size ?? 100L << 20, 0, MaxDownload);
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.ContentLength = total;
            var buffer = new byte[64 * 1024];
            for (long offset = 0; offset < total; offset += buffer.Length)
            {
                int n = (int)Math.Min(buffer.Length, total - offset);
                Fill(offset, buffer.AsSpan(0, n));
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
            }
        });
    }

    /// <summary>The download's bytes from <paramref name="offset"/> on: a function of the position, so a client can check every byte.</summary>
    public static void Fill(long offset, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            long p = offset + i;
            destination[i] = (byte)((p * 131) ^ (p >> 11));
        }
    }
}

/// <summary>The JSON body of <c>GET /</c>.</summary>
public sealed record Greeting(string Message, string Protocol);

/// <summary>Source-generated JSON for the sample's types.</summary>
[JsonSerializable(typeof(Greeting))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
public sealed partial class SampleJson : JsonSerializerContext;
