using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>Options for <see cref="Http3ClientConnection"/>.</summary>
public sealed class Http3ClientOptions
{
    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce; null = unlimited.</summary>
    public ulong? MaxFieldSectionSize { get; set; } = 64 * 1024;

    /// <summary>Largest non-DATA frame accepted.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise (RFC 9204 §3.2.3). Default 4,096 bytes; 0 turns the server's use of a dynamic table off.</summary>
    public ulong QpackMaxTableCapacity { get; set; } = Http3Defaults.QpackMaxTableCapacity;

    /// <summary>SETTINGS_QPACK_BLOCKED_STREAMS we advertise (RFC 9204 §2.1.2). Default 16.</summary>
    public ulong QpackBlockedStreams { get; set; } = Http3Defaults.QpackBlockedStreams;

    /// <summary>How much of the server's allowed dynamic table our encoder uses for requests. Default 4,096 bytes; 0 never inserts.</summary>
    public ulong QpackEncoderTableCapacity { get; set; } = Http3Defaults.QpackMaxTableCapacity;

    internal Frames.Http3Settings LocalSettings() => Http3Defaults.Settings(MaxFieldSectionSize, QpackMaxTableCapacity, QpackBlockedStreams);

    /// <summary>
    /// Send a request again, once and after the handshake, when the server answered its 0-RTT attempt
    /// with 425 Too Early (RFC 8470 §5.2). Requests with a body that cannot seek are not retried. Default true.
    /// </summary>
    public bool RetryTooEarly { get; set; } = true;
}
