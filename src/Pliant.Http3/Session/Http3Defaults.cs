namespace Pliant.Http3.Session;

/// <summary>Defaults shared by client and server options.</summary>
internal static class Http3Defaults
{
    /// <summary>QPACK dynamic table capacity (nghttp3 and most stacks use 4,096 too).</summary>
    public const ulong QpackMaxTableCapacity = 4096;

    /// <summary>QPACK blocked streams: each holds at most one HEADERS payload (≤ MaxFrameSize) while it waits.</summary>
    public const ulong QpackBlockedStreams = 16;

    /// <summary>The SETTINGS an endpoint advertises from its options.</summary>
    public static Frames.Http3Settings Settings(ulong? maxFieldSectionSize, ulong qpackMaxTableCapacity, ulong qpackBlockedStreams) => new()
    {
        MaxFieldSectionSize = maxFieldSectionSize,
        QpackMaxTableCapacity = qpackMaxTableCapacity,
        QpackBlockedStreams = qpackBlockedStreams,
    };
}
