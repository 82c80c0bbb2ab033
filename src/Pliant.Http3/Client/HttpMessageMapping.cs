using System.Net;
using System.Runtime.CompilerServices;

namespace Pliant.Http3.Client;

/// <summary>Between <see cref="HttpRequestMessage"/>/<see cref="HttpResponseMessage"/> and HTTP/3 field lines (RFC 9114 §4.2, §4.3).</summary>
internal static class HttpMessageMapping
{
    /// <summary>RFC 9114 §4.2: connection-specific fields are not sent in HTTP/3 (<c>te</c> only as "trailers").</summary>
    private static readonly HashSet<string> s_connectionSpecific = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    };

    /// <summary>The request for HTTP/3; <paramref name="bodyStarted"/> tells whether its content began to be read (it cannot be sent again then).</summary>
    public static Http3Request ToHttp3(HttpRequestMessage request, Uri uri, StrongBox<bool> bodyStarted)
    {
        string authority = request.Headers.Host ?? (uri.IsDefaultPort ? uri.IdnHost : uri.IdnHost + ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (uri.HostNameType == UriHostNameType.IPv6 && request.Headers.Host is null) authority = uri.Authority;
        var r = new Http3Request
        {
            Method = request.Method.Method,
            Scheme = uri.Scheme,
            Authority = authority,
            Path = string.IsNullOrEmpty(uri.PathAndQuery) ? "/" : uri.PathAndQuery,
        };
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            if (s_connectionSpecific.Contains(name)) continue;
            string value = values.ToString();
            if (name.Equals("te", StringComparison.OrdinalIgnoreCase) && !value.Equals("trailers", StringComparison.OrdinalIgnoreCase)) continue;
            r.Headers.Add(new Http3Field(name.ToLowerInvariant(), value));
        }
        if (request.Content is { } content)
        {
            _ = content.Headers.ContentLength; // computed on first use (StringContent, ByteArrayContent, ...)
            foreach (var (name, values) in content.Headers.NonValidated)
                r.Headers.Add(new Http3Field(name.ToLowerInvariant(), values.ToString()));
            // The body streams: each write of the content becomes DATA frames as it happens.
            r.ContentWriter = (stream, ct) =>
            {
                bodyStarted.Value = true;
                return content.CopyToAsync(stream, ct);
            };
        }
        return r;
    }

    public static HttpResponseMessage ToMessage(Http3Response response, HttpRequestMessage request)
    {
        var message = new HttpResponseMessage((HttpStatusCode)response.Status)
        {
            Version = HttpVersion.Version30,
            RequestMessage = request,
        };
        var content = new StreamContent(new Http3ResponseContentStream(response, message));
        foreach (var h in response.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(h.Name, h.Value)) content.Headers.TryAddWithoutValidation(h.Name, h.Value);
        }
        message.Content = content;
        return message;
    }
}
