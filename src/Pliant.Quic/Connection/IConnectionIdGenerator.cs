using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>
/// Makes the connection IDs an endpoint issues (RFC 9000 §5.1): its first Source Connection ID, the ones
/// in NEW_CONNECTION_ID frames and the source connection IDs of Retry packets. The default, without a
/// generator, is random IDs of <see cref="QuicEndpointOptions.ConnectionIdLength"/> bytes. A load balancer
/// that routes by connection ID needs IDs that carry a server ID instead (QUIC-LB,
/// draft-ietf-quic-load-balancers-21; <c>Pliant.Router.QuicLb.QuicLbConnectionIdGenerator</c>).
/// </summary>
/// <remarks>
/// Called on the endpoint's thread for every ID issued (a handful per connection, never per packet). Every
/// ID must be <see cref="Length"/> bytes long, because short-header packets do not carry the length, and
/// must be unpredictable to anyone without the generator's secrets (RFC 9000 §5.1: IDs must not link a
/// connection's paths). An implementation may be shared by several endpoints and must then be thread-safe.
/// </remarks>
public interface IConnectionIdGenerator
{
    /// <summary>Length in bytes of every ID made (1 to 20).</summary>
    int Length { get; }

    /// <summary>A new connection ID, never handed out before by this generator.</summary>
    ConnectionId Generate();
}
