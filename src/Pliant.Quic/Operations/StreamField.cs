namespace Pliant.Quic.Operations;

/// <summary>
/// Stream state a plugin may read through the host ABI (<c>get_stream_field</c>), e.g. a stream scheduler
/// (<c>stream.next_to_send</c>). The numbering is part of the plugin ABI (plugins/sdk/pliant.h): never renumber.
/// A stream that is not open reads <see cref="ulong.MaxValue"/> (-1 as an i64).
/// </summary>
public enum StreamField
{
    /// <summary>RFC 9218 urgency, 0 (most urgent) to 7; 3 unless the application (HTTP/3) set one.</summary>
    Urgency = 0,
    /// <summary>1 when incremental (shares its urgency in round robin; streams without a priority are), 0 otherwise.</summary>
    Incremental = 1,
    /// <summary>Bytes written by the application and not yet sent (lost bytes waiting to be resent are not counted).</summary>
    BytesQueued = 2,
    /// <summary>Bytes sent at least once (the stream's highest sent offset).</summary>
    BytesSent = 3,
    /// <summary>1 when the stream may send now (data or a FIN, within flow control), 0 otherwise.</summary>
    Sendable = 4,
}
