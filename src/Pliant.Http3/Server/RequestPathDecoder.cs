using System.Text;

namespace Pliant.Http3.Server;

/// <summary>
/// Turns a request :path into the list of name segments a file server may look up, refusing
/// everything ambiguous: anything but an absolute path, malformed or non-UTF-8 percent escapes,
/// encoded '/' or '\' (%2F, %5C: a segment must not hide a separator), NUL and other control
/// characters, a raw '\', any segment starting with '.' ("." and ".." as well as dotfiles and
/// dot-directories), more than <see cref="MaxSegments"/> segments or a path over
/// <see cref="MaxPathLength"/> characters. Empty segments ("//") are skipped.
/// </summary>
internal static class RequestPathDecoder
{
    /// <summary>Longest :path considered (characters, before the query).</summary>
    public const int MaxPathLength = 4096;

    /// <summary>Most segments in one path.</summary>
    public const int MaxSegments = 64;

    /// <summary>
    /// The segments of <paramref name="requestPath"/>, or null when the path is refused;
    /// <paramref name="directory"/> tells whether it ends with '/' (it must then name a directory).
    /// </summary>
    public static List<string>? Decode(string? requestPath, out bool directory)
    {
        directory = false;
        if (string.IsNullOrEmpty(requestPath) || requestPath[0] != '/') return null;
        int q = requestPath.AsSpan().IndexOfAny('?', '#');
        var raw = q >= 0 ? requestPath.AsSpan(0, q) : requestPath.AsSpan();
        if (raw.Length > MaxPathLength) return null;
        directory = raw[^1] == '/';
        var segments = new List<string>();
        foreach (var range in raw.Split('/'))
        {
            var encoded = raw[range];
            if (encoded.IsEmpty) continue;
            string? segment = DecodeSegment(encoded);
            if (segment is null || segment[0] == '.') return null;
            if (segments.Count == MaxSegments) return null;
            segments.Add(segment);
        }
        return segments;
    }

    /// <summary>Percent-decodes one segment as strict UTF-8; null when anything in it is refused.</summary>
    private static string? DecodeSegment(ReadOnlySpan<char> encoded)
    {
        var bytes = new byte[encoded.Length];
        int n = 0;
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            int b;
            if (c == '%')
            {
                if (i + 2 >= encoded.Length) return null;
                int hi = HexValue(encoded[i + 1]), lo = HexValue(encoded[i + 2]);
                if (hi < 0 || lo < 0) return null;
                b = hi << 4 | lo;
                i += 2;
                // An encoded separator would make one segment name a path.
                if (b is '/' or '\\') return null;
            }
            else if (c > 0x7e)
            {
                return null; // a :path is ASCII (RFC 3986 §2); anything else must be percent-encoded
            }
            else
            {
                b = c;
                if (b == '\\') return null;
            }
            if (b < 0x20 || b == 0x7f) return null; // NUL and other control characters
            bytes[n++] = (byte)b;
        }
        try
        {
            return Strict.GetString(bytes, 0, n);
        }
        catch (DecoderFallbackException)
        {
            return null; // overlong or otherwise invalid UTF-8 (e.g. %c0%ae for '.')
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
