using System.Net;

namespace Pliant.Quic.Connection;

/// <summary>ECN codepoints in the IP header (RFC 3168 §5).</summary>
public enum EcnCodepoint : byte
{
    NotEct = 0b00,
    Ect1 = 0b01,
    Ect0 = 0b10,
    Ce = 0b11,
}

/// <summary>
/// One datagram — or, when <see cref="SegmentSize"/> is smaller than <see cref="Length"/>, a batch of
/// equal-sized datagrams for GSO (the last may be shorter) — written into the caller's buffer. <see cref="Source"/>
/// names the local address to send from when a multipath connection's path uses one other than the endpoint's
/// (a client's second interface); null: the endpoint's own socket.
/// </summary>
public readonly record struct Transmit(IPEndPoint Destination, int Length, int SegmentSize, EcnCodepoint Ecn, IPEndPoint? Source = null);
