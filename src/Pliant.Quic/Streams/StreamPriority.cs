namespace Pliant.Quic.Streams;

/// <summary>
/// The sending priority of a stream (RFC 9218 §4): an urgency from 0 (most urgent) to 7 and whether its data is
/// used incrementally. The stream scheduler sends the most urgent streams first; at one urgency, non-incremental
/// streams go one at a time in stream id order and incremental ones share in round robin (RFC 9218 §10).
/// </summary>
/// <param name="Urgency">0 (most urgent) to 7 (background).</param>
/// <param name="Incremental">True when the receiver uses the data as it arrives (the streams of one urgency share).</param>
public readonly record struct StreamPriority(int Urgency, bool Incremental)
{
    /// <summary>The default urgency, 3 (RFC 9218 §4.1).</summary>
    public const byte DefaultUrgency = 3;

    /// <summary>Urgencies run from 0 to this.</summary>
    public const int MaxUrgency = 7;

    /// <summary>
    /// A stream nobody gave a priority: urgency 3, sharing in round robin with the other incremental streams of
    /// urgency 3 (what a QUIC stream without HTTP/3 gets; HTTP/3 sets RFC 9218's own default, u=3 non-incremental).
    /// </summary>
    public static StreamPriority Unset => new(DefaultUrgency, true);
}
