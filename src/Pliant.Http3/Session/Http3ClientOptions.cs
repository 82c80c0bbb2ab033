namespace Pliant.Http3;

/// <summary>Options for <see cref="Http3ClientConnection"/>.</summary>
public sealed class Http3ClientOptions
{
    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce; null = unlimited.</summary>
    public ulong? MaxFieldSectionSize { get; set; } = 64 * 1024;

    /// <summary>Largest non-DATA frame accepted.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Send a request again, once and after the handshake, when the server answered its 0-RTT attempt
    /// with 425 Too Early (RFC 8470 §5.2). Requests with a body that cannot seek are not retried. Default true.
    /// </summary>
    public bool RetryTooEarly { get; set; } = true;
}
