using Pliant.Net;

namespace Pliant.AspNetCore;

/// <summary>
/// Whether a request arrived as TLS 0-RTT early data (RFC 8470): such a request may be a replay by an
/// attacker who recorded the client's first flight (RFC 9001 §9.2). Available from
/// <c>HttpContext.Features.Get&lt;IEarlyDataFeature&gt;()</c> on requests served over Pliant QUIC.
/// </summary>
public interface IEarlyDataFeature
{
    /// <summary>
    /// True when some of the request stream's data (its header section, at least) arrived in 0-RTT
    /// packets, or the request carries <c>Early-Data: 1</c> from an intermediary (RFC 8470 §5.1).
    /// </summary>
    bool IsEarlyData { get; }
}

/// <summary>
/// The Pliant <see cref="QuicConnection"/> under an HTTP/3 request or connection: TLS details (cipher,
/// resumption, 0-RTT), statistics, plugin events. From <c>HttpContext.Features.Get&lt;IQuicConnectionFeature&gt;()</c>.
/// </summary>
public interface IQuicConnectionFeature
{
    /// <summary>The QUIC connection. Do not close or dispose it: Kestrel owns its lifetime.</summary>
    QuicConnection Connection { get; }
}
