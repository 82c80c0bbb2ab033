namespace Pliant.Http3;

/// <summary>Options for <see cref="Http3ServerConnection"/>.</summary>
public sealed class Http3ServerOptions
{
    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce; null = unlimited.</summary>
    public ulong? MaxFieldSectionSize { get; set; } = 64 * 1024;

    /// <summary>Largest non-DATA frame accepted.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>What happens to requests that arrived as 0-RTT early data (default: 425 unless the method is safe).</summary>
    public Http3EarlyDataPolicy EarlyDataPolicy { get; set; } = Http3EarlyDataPolicy.RejectUnsafe;

    /// <summary>
    /// Methods run from early data under <see cref="Http3EarlyDataPolicy.RejectUnsafe"/> (case-sensitive,
    /// RFC 9110 §9.1). Default GET and HEAD: safe methods (§9.2.1) whose replay changes nothing, provided
    /// the handler keeps them safe.
    /// </summary>
    public IReadOnlySet<string> EarlyDataMethods { get; set; } = new HashSet<string>(StringComparer.Ordinal) { "GET", "HEAD" };
}
