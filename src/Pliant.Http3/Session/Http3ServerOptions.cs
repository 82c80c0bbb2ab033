using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>Options for <see cref="Http3ServerConnection"/>.</summary>
public sealed class Http3ServerOptions
{
    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce; null = unlimited.</summary>
    public ulong? MaxFieldSectionSize { get; set; } = 64 * 1024;

    /// <summary>
    /// SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise: the dynamic table the client's encoder may fill for what
    /// it sends us (RFC 9204 §3.2.3), and so the most memory it takes. Default 4,096 bytes; 0 turns it off.
    /// </summary>
    public ulong QpackMaxTableCapacity { get; set; } = Http3Defaults.QpackMaxTableCapacity;

    /// <summary>SETTINGS_QPACK_BLOCKED_STREAMS we advertise: request streams that may wait for encoder-stream inserts at once (RFC 9204 §2.1.2). Default 16.</summary>
    public ulong QpackBlockedStreams { get; set; } = Http3Defaults.QpackBlockedStreams;

    /// <summary>How much of the client's allowed dynamic table our encoder uses for responses. Default 4,096 bytes; 0 never inserts.</summary>
    public ulong QpackEncoderTableCapacity { get; set; } = Http3Defaults.QpackMaxTableCapacity;

    internal Frames.Http3Settings LocalSettings() => Http3Defaults.Settings(MaxFieldSectionSize, QpackMaxTableCapacity, QpackBlockedStreams);

    /// <summary>
    /// Largest non-DATA frame accepted. A HEADERS frame on a request stream above it is answered 431
    /// unread (RFC 9114 §4.2.2); on the control stream it is H3_EXCESSIVE_LOAD. Unknown frames before a
    /// request's HEADERS may total this much; beyond, the request stream is reset with H3_EXCESSIVE_LOAD.
    /// </summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Graceful shutdown (RFC 9114 §5.2) first sends a GOAWAY that rejects nothing, waits this long (at least a round
    /// trip: requests the client sent meanwhile are still served), then sends the final GOAWAY naming the first
    /// request it will not process. Zero sends the final one at once. Default 1 s.
    /// </summary>
    public TimeSpan GoAwayGracePeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Request handlers running at once on one connection. A request stream arriving while this many run
    /// is refused unprocessed with H3_REQUEST_REJECTED (RFC 9114 §4.1.1) and counts as abandoned. It bounds
    /// the tasks, buffers (≤ 64 KiB HEADERS + 64 KiB decoded fields each) and handler work a client can
    /// hold, even when it resets requests to regain QUIC stream credit. Default 100 (Pliant.Net's default
    /// bidirectional stream limit, so a client within its credit never meets it unless it resets streams).
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 100;

    /// <summary>
    /// How many more requests a client may abandon than it completes: a request counts as abandoned when it
    /// is reset or ends before its response completed, is malformed or oversized, or is refused over
    /// <see cref="MaxConcurrentRequests"/>. Each spends one unit, each completed request earns one back (up to
    /// this value); when none is left the connection is closed with H3_EXCESSIVE_LOAD (RFC 9114 §10.5). So a
    /// "rapid reset" flood (CVE-2023-44487) starts at most MaxConcurrentRequests + this many handlers beyond
    /// the requests it lets complete. Default 200.
    /// </summary>
    public int AbandonedRequestBudget { get; set; } = 200;

    /// <summary>
    /// How long a request stream may take to deliver its complete header section; then it is reset with
    /// H3_REQUEST_REJECTED (unprocessed, RFC 9114 §4.1.1) and counts as abandoned, so a client trickling
    /// HEADERS cannot hold a <see cref="MaxConcurrentRequests"/> slot indefinitely. Default 10 s.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What happens to requests that arrived as 0-RTT early data (default: 425 unless the method is safe).</summary>
    public Http3EarlyDataPolicy EarlyDataPolicy { get; set; } = Http3EarlyDataPolicy.RejectUnsafe;

    /// <summary>
    /// Methods run from early data under <see cref="Http3EarlyDataPolicy.RejectUnsafe"/> (case-sensitive,
    /// RFC 9110 §9.1). Default GET and HEAD: safe methods (§9.2.1) whose replay changes nothing, provided
    /// the handler keeps them safe.
    /// </summary>
    public IReadOnlySet<string> EarlyDataMethods { get; set; } = new HashSet<string>(StringComparer.Ordinal) { "GET", "HEAD" };

    /// <summary>
    /// Where a request handler starts: false (default) on the thread pool, so a handler that computes or blocks
    /// before its first asynchronous wait never holds up the connection's endpoint; true on the thread that
    /// accepted the request stream — with Pliant.Net the endpoint's own thread — saving a thread-pool hop per
    /// request. Only for handlers that do little synchronous work (as <c>pliant serve</c>'s static files):
    /// after their first wait on a stream operation, handlers continue on the endpoint's thread either way.
    /// </summary>
    public bool InlineHandlers { get; set; }
}
