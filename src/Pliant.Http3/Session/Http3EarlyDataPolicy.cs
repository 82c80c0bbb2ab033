namespace Pliant.Http3;

/// <summary>
/// What <see cref="Http3ServerConnection"/> does with a request that arrived, wholly or partly, as 0-RTT
/// early data (<see cref="Http3ServerRequest.IsEarlyData"/>). Early data can be replayed by anyone who
/// captured the client's first flight, to this server (the TLS strike register refuses that) or to another
/// server sharing the ticket key (nothing at the TLS layer can), so only requests that are safe to repeat
/// should run before the handshake completes (RFC 8470 §3, RFC 9001 §9.2).
/// </summary>
public enum Http3EarlyDataPolicy
{
    /// <summary>
    /// Requests whose method is in <see cref="Http3ServerOptions.EarlyDataMethods"/> run; any other early
    /// request is answered 425 Too Early without running the handler (RFC 8470 §5.2), and the client
    /// retries it after the handshake. The default.
    /// </summary>
    RejectUnsafe,

    /// <summary>Every early request is answered 425 Too Early.</summary>
    RejectAll,

    /// <summary>Every request runs; the handler reads <see cref="Http3ServerRequest.IsEarlyData"/> and decides.</summary>
    Accept,
}
