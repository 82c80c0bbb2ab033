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
            // Straight from the pattern's one period: computing every byte cost the server more than its HTTP/3
            // and QUIC work together (42 % of its CPU on a 1 GiB download).
            for (long offset = 0; offset < total;)
            {
                int start = (int)(offset & (PatternPeriod - 1));
                int n = (int)Math.Min(Math.Min(64 * 1024, PatternPeriod - start), total - offset);
                await ctx.Response.Body.WriteAsync(Pattern.AsMemory(start, n), ctx.RequestAborted);
                offset += n;
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

    // A byte of the pattern depends on the position's low 8 bits (p * 131) and bits 11..18 (p >> 11): it repeats
    // every 2^19 bytes, so one period computed once serves every download.
    private const int PatternPeriod = 1 << 19;
    private static readonly byte[] Pattern = MakePattern();

    private static byte[] MakePattern()
    {
        var pattern = new byte[PatternPeriod];
        Fill(0, pattern);
        return pattern;
    }
}

/// <summary>The JSON body of <c>GET /</c>.</summary>
public sealed record Greeting(string Message, string Protocol);

/// <summary>Source-generated JSON for the sample's types.</summary>
[JsonSerializable(typeof(Greeting))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
public sealed partial class SampleJson : JsonSerializerContext;
