using System.Globalization;

namespace Pliant.Http3;

/// <summary>
/// Extensible priority of a response (RFC 9218 §4): urgency 0 (most urgent) to 7 (background), default 3,
/// and whether the client uses the response incrementally (default false).
/// </summary>
public readonly record struct Http3Priority(int Urgency, bool Incremental)
{
    /// <summary>u=3, not incremental (RFC 9218 §4.1, §4.2).</summary>
    public static Http3Priority Default { get; } = new(3, false);

    /// <summary>
    /// Parses a <c>priority</c> header or PRIORITY_UPDATE value (a Structured Fields Dictionary, RFC 8941
    /// §3.2). Unknown parameters, out-of-range urgencies and values of the wrong type are ignored; a value that
    /// is not a valid Dictionary yields the defaults (RFC 9218 §4). Parsing is linear in the value's length.
    /// </summary>
    public static Http3Priority Parse(string? value)
    {
        var result = Default;
        if (string.IsNullOrEmpty(value) || !StructuredFieldDictionary.TryParse(value, out var members)) return result;
        foreach (var (key, item) in members)
        {
            // RFC 9218 §4: the last value of a key wins (RFC 8941 §3.2: later members overwrite earlier ones).
            if (key == "u" && item is long u and >= 0 and <= 7) result = result with { Urgency = (int)u };
            else if (key == "i" && item is bool b) result = result with { Incremental = b };
        }
        return result;
    }

    /// <summary>The header value (<c>u=N</c>, <c>, i</c> when incremental).</summary>
    public override string ToString() =>
        Incremental ? string.Create(CultureInfo.InvariantCulture, $"u={Urgency}, i") : string.Create(CultureInfo.InvariantCulture, $"u={Urgency}");

    /// <summary>True when this response should be sent before <paramref name="other"/> (RFC 9218 §10): lower urgency first; at equal urgency non-incremental responses go in stream order.</summary>
    internal static bool Precedes(Http3Priority p, ulong streamId, Http3Priority other, ulong otherStreamId) =>
        p.Urgency < other.Urgency || (p.Urgency == other.Urgency && !p.Incremental && !other.Incremental && streamId < otherStreamId);
}
