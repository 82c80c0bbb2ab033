using Pliant.Net;

namespace Pliant.Http3;

/// <summary>What a failed stream operation on a Pliant QUIC transport means to HTTP/3: the stream alone, or the whole connection.</summary>
internal static class H3TransportErrors
{
    /// <summary>The QUIC connection is closed or closing (by either side, idle, or failed): every stream's reads fail with it.</summary>
    public static bool IsConnectionGone(Exception e) =>
        e is QuicException q && q.QuicError is not (QuicError.StreamAborted or QuicError.OperationAborted);

    /// <summary>The peer reset or stopped this stream (RESET_STREAM / STOP_SENDING) while the connection lives on.</summary>
    public static bool IsStreamReset(Exception e) => e is QuicException { QuicError: QuicError.StreamAborted };
}
