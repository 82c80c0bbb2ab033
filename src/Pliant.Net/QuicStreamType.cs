namespace Pliant.Net;

/// <summary>Kind of a QUIC stream (RFC 9000 §2.1).</summary>
public enum QuicStreamType
{
    /// <summary>Data flows from the opener to the peer only.</summary>
    Unidirectional,
    /// <summary>Data flows both ways.</summary>
    Bidirectional,
}

/// <summary>Which side(s) of a stream <see cref="QuicStream.Abort"/> ends.</summary>
[Flags]
public enum QuicAbortDirection
{
    /// <summary>Stop reading: sends STOP_SENDING (RFC 9000 §19.5).</summary>
    Read = 1,
    /// <summary>Stop writing: sends RESET_STREAM (RFC 9000 §19.4).</summary>
    Write = 2,
    /// <summary>Both directions.</summary>
    Both = Read | Write,
}
