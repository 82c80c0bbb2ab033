// HttpClient over HTTP/3 on Pliant QUIC (no libmsquic).
//   dotnet run --project samples/Http3Client -- URL [--insecure | --pin SHA256HEX] [--count N]
// Prints each response's status, protocol version, headers, the first 1 KiB of the body and the trailers;
// with --count N the N requests go out concurrently, as streams of one pooled connection.
using System.Net;
using Pliant.Http3;
using Pliant.Quic.Tls;

string? url = null;
var validation = CertificateValidation.System;
int count = 1;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--insecure": validation = CertificateValidation.Insecure; break;
        case "--pin" when i + 1 < args.Length: validation = CertificateValidation.Pin(Convert.FromHexString(args[++i].Replace(":", "", StringComparison.Ordinal))); break;
        case "--count" when i + 1 < args.Length: count = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        default: url = args[i]; break;
    }
}
if (url is null)
{
    Console.Error.WriteLine("usage: Http3Client URL [--insecure | --pin SHA256HEX] [--count N]");
    return 2;
}

using var handler = new Http3MessageHandler { CertificateValidation = validation };
using var client = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version30, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
try
{
    var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => client.GetAsync(url)));
    foreach (var response in responses)
    {
        using (response)
        {
            Console.WriteLine($"HTTP/{response.Version} {(int)response.StatusCode} {response.ReasonPhrase}");
            foreach (var h in response.Headers.Concat(response.Content.Headers)) Console.WriteLine($"{h.Key}: {string.Join(", ", h.Value)}");
            string body = await response.Content.ReadAsStringAsync();
            Console.WriteLine();
            Console.WriteLine(body.Length > 1024 ? body[..1024] + $"... ({body.Length} chars)" : body);
            foreach (var t in response.TrailingHeaders) Console.WriteLine($"trailer {t.Key}: {string.Join(", ", t.Value)}");
        }
    }
    Console.WriteLine($"{count} request(s), {handler.ConnectionsOpened} HTTP/3 connection(s), {handler.FallbackRequests} over TCP");
    return 0;
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"request failed: {ex.Message}");
    return 1;
}
