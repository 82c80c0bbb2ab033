using System.Globalization;

namespace Pliant.Http3.Session;

/// <summary>
/// Checks field sections against RFC 9114 §4.2–4.3; violations are stream errors of type
/// H3_MESSAGE_ERROR (§4.1.2).
/// </summary>
internal static class Http3MessageValidator
{
    internal sealed class RequestHead
    {
        public string? Method, Scheme, Authority, Path;
        public List<Http3Field> Headers = [];
        public long? ContentLength;
    }

    public static RequestHead ValidateRequest(List<Http3Field> fields)
    {
        var head = new RequestHead();
        bool regularSeen = false;
        foreach (var f in fields)
        {
            if (f.Name.StartsWith(':'))
            {
                // §4.3: pseudo-header fields come before regular fields.
                if (regularSeen) throw Malformed($"pseudo-header {f.Name} after a regular field");
                CheckValue(f);
                switch (f.Name)
                {
                    case ":method": head.Method = Once(head.Method, f); break;
                    case ":scheme": head.Scheme = Once(head.Scheme, f); break;
                    case ":authority": head.Authority = Once(head.Authority, f); break;
                    case ":path": head.Path = Once(head.Path, f); break;
                    default: throw Malformed($"undefined or response pseudo-header {f.Name} in a request");
                }
            }
            else
            {
                regularSeen = true;
                CheckRegular(f, isRequest: true);
                head.Headers.Add(f);
            }
        }
        if (head.Method is null) throw Malformed("missing :method");
        if (head.Method == "CONNECT")
        {
            // §4.4: CONNECT omits :scheme and :path and carries :authority.
            if (head.Scheme != null || head.Path != null) throw Malformed("CONNECT with :scheme or :path");
            if (string.IsNullOrEmpty(head.Authority)) throw Malformed("CONNECT without :authority");
        }
        else
        {
            // §4.3.1: exactly one :method, :scheme and :path.
            if (head.Scheme is null) throw Malformed("missing :scheme");
            if (string.IsNullOrEmpty(head.Path)) throw Malformed("missing or empty :path");
            if (head.Scheme is "http" or "https")
            {
                string? host = head.Headers.FirstOrDefault(h => h.Name == "host").Value;
                if (head.Authority is null && host is null) throw Malformed("no :authority or host");
                if (head.Authority is "" || host is "") throw Malformed("empty :authority or host");
                if (head.Authority != null && host != null && head.Authority != host) throw Malformed(":authority and host differ");
            }
        }
        head.ContentLength = ContentLength(head.Headers);
        return head;
    }

    /// <summary>Returns the status and the regular fields of a response header section.</summary>
    public static (int Status, List<Http3Field> Headers, long? ContentLength) ValidateResponse(List<Http3Field> fields)
    {
        string? status = null;
        var headers = new List<Http3Field>();
        foreach (var f in fields)
        {
            if (f.Name.StartsWith(':'))
            {
                if (headers.Count > 0) throw Malformed($"pseudo-header {f.Name} after a regular field");
                if (f.Name != ":status") throw Malformed($"pseudo-header {f.Name} in a response");
                status = Once(status, f);
            }
            else
            {
                CheckRegular(f, isRequest: false);
                headers.Add(f);
            }
        }
        // §4.3.2: :status is mandatory; a three-digit code.
        if (status is null || status.Length != 3 || !int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code < 100)
            throw Malformed("missing or invalid :status");
        // §4.5: HTTP/3 has no 101 (Switching Protocols).
        if (code == 101) throw Malformed("101 (Switching Protocols) in HTTP/3");
        return (code, headers, ContentLength(headers));
    }

    /// <summary>Trailers carry no pseudo-header fields (§4.3).</summary>
    public static List<Http3Field> ValidateTrailers(List<Http3Field> fields)
    {
        foreach (var f in fields)
        {
            if (f.Name.StartsWith(':')) throw Malformed("pseudo-header in trailers");
            CheckRegular(f, isRequest: false);
        }
        return fields;
    }

    private static string Once(string? existing, Http3Field f)
    {
        if (existing != null) throw Malformed($"duplicate {f.Name}");
        return f.Value;
    }

    private static void CheckRegular(Http3Field f, bool isRequest)
    {
        if (f.Name.Length == 0) throw Malformed("empty field name");
        foreach (char c in f.Name)
        {
            // §4.2: uppercase names are malformed; names are RFC 9110 tokens.
            if (c is >= 'A' and <= 'Z') throw Malformed($"uppercase field name {f.Name}");
            if (!IsTokenChar(c)) throw Malformed("invalid character in field name");
        }
        CheckValue(f);
        switch (f.Name)
        {
            // §4.2: connection-specific fields are malformed.
            case "connection" or "keep-alive" or "proxy-connection" or "transfer-encoding" or "upgrade":
                throw Malformed($"connection-specific field {f.Name}");
            case "te" when !isRequest || f.Value != "trailers":
                throw Malformed("te other than \"trailers\"");
        }
    }

    private static void CheckValue(Http3Field f)
    {
        // RFC 9110 §5.5: NUL, CR and LF are never valid in field values.
        if (f.Value.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0) throw Malformed($"invalid character in {f.Name} value");
    }

    private static bool IsTokenChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    private static long? ContentLength(List<Http3Field> headers)
    {
        long? result = null;
        foreach (var h in headers)
        {
            if (h.Name != "content-length") continue;
            if (!long.TryParse(h.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long v)) throw Malformed("invalid content-length");
            if (result is long prev && prev != v) throw Malformed("conflicting content-length values");
            result = v;
        }
        return result;
    }

    private static Http3Exception Malformed(string why) => new(Http3ErrorCode.MessageError, why, isStreamError: true);
}
