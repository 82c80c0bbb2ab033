namespace Pliant.Quic.Streams;

/// <summary>
/// Caps the out-of-order ranges held for reassembly (issue 11): a peer that sends its data as many
/// small disjoint pieces makes the receiver keep one range per piece. The bytes themselves are
/// bounded by flow control (RFC 9000 §4.1); the ranges are bounded here, per buffer and for all the
/// buffers sharing one limit (the streams of a connection, or one CRYPTO level), and exceeding either
/// closes the connection with <see cref="Error"/>.
/// </summary>
public sealed class ReassemblyLimit(int maxPerBuffer, int maxTotal, TransportErrorCode error)
{
    /// <summary>
    /// Default per stream: beyond what loss and reordering produce (each range needs a lost packet): a 16 MiB stream
    /// window holds ~11,500 full packets, so even every other one lost (a slow-start overshoot into a deep queue on a
    /// long fat path) leaves fewer holes. (1,024 closed such connections once send buffers grew with the window.)
    /// The ranges live in a balanced tree: O(log n) per piece whatever the order.
    /// </summary>
    public const int DefaultRangesPerStream = 16_384;

    /// <summary>Default for all streams of a connection together (~64 bytes a range: at most 2 MiB).</summary>
    public const int DefaultRangesPerConnection = 32_768;

    /// <summary>Default per CRYPTO level: a ClientHello is a few fragments even with reordering and "chaos protection".</summary>
    public const int DefaultCryptoRanges = 64;

    /// <summary>Most out-of-order ranges one buffer may hold.</summary>
    public int MaxPerBuffer { get; } = maxPerBuffer;

    /// <summary>Most out-of-order ranges all buffers sharing this limit may hold together.</summary>
    public int MaxTotal { get; } = maxTotal;

    /// <summary>The transport error a peer exceeding the limit is closed with.</summary>
    public TransportErrorCode Error { get; } = error;

    /// <summary>Ranges held now by all buffers sharing this limit.</summary>
    public int Used { get; private set; }

    /// <summary>A limit for the streams of one connection (PROTOCOL_VIOLATION when exceeded).</summary>
    public static ReassemblyLimit ForStreams() =>
        new(DefaultRangesPerStream, DefaultRangesPerConnection, TransportErrorCode.ProtocolViolation);

    /// <summary>A limit for one CRYPTO level (CRYPTO_BUFFER_EXCEEDED, RFC 9000 §7.5).</summary>
    public static ReassemblyLimit ForCrypto() =>
        new(DefaultCryptoRanges, DefaultCryptoRanges, TransportErrorCode.CryptoBufferExceeded);

    internal void Change(int before, int after)
    {
        Used += after - before;
        if (after > before && (after > MaxPerBuffer || Used > MaxTotal))
            throw new QuicProtocolException(Error, "too many out-of-order data ranges");
    }
}
