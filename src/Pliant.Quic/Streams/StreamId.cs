namespace Pliant.Quic.Streams;

/// <summary>
/// Helpers for 62-bit stream IDs (RFC 9000 §2.1): bit 0 is the initiator (0 = client,
/// 1 = server), bit 1 the direction (0 = bidirectional, 1 = unidirectional); the rest is the
/// index within that stream type.
/// </summary>
public static class StreamId
{
    /// <summary>True if the client opened the stream (bit 0 clear).</summary>
    public static bool IsClientInitiated(ulong id) => (id & 0x1) == 0;

    /// <summary>True if the server opened the stream (bit 0 set).</summary>
    public static bool IsServerInitiated(ulong id) => (id & 0x1) != 0;

    /// <summary>True for a bidirectional stream (bit 1 clear).</summary>
    public static bool IsBidirectional(ulong id) => (id & 0x2) == 0;

    /// <summary>True for a unidirectional stream (bit 1 set).</summary>
    public static bool IsUnidirectional(ulong id) => (id & 0x2) != 0;

    /// <summary>The index of the stream among streams of its type (id &gt;&gt; 2).</summary>
    public static ulong Index(ulong id) => id >> 2;

    /// <summary>True if the endpoint (client or server) opened the stream itself.</summary>
    public static bool IsLocal(ulong id, bool isClient) => IsClientInitiated(id) == isClient;

    /// <summary>Builds the ID of stream <paramref name="index"/> of a type.</summary>
    public static ulong Create(ulong index, bool clientInitiated, bool bidirectional) =>
        (index << 2) | (clientInitiated ? 0UL : 1UL) | (bidirectional ? 0UL : 2UL);

    /// <summary>True if the endpoint can send on the stream (bidi, or its own uni stream).</summary>
    public static bool CanSend(ulong id, bool isClient) => IsBidirectional(id) || IsLocal(id, isClient);

    /// <summary>True if the endpoint can receive on the stream (bidi, or the peer's uni stream).</summary>
    public static bool CanReceive(ulong id, bool isClient) => IsBidirectional(id) || !IsLocal(id, isClient);
}
