namespace Pliant.Quic.Streams;

/// <summary>Our stream and flow-control limits (what we advertise in transport parameters).</summary>
public sealed record class LocalStreamSettings
{
    /// <summary>initial_max_data: connection receive window.</summary>
    public ulong InitialMaxData { get; init; } = 4 << 20;

    /// <summary>initial_max_stream_data_bidi_local: window for bidi streams we open.</summary>
    public ulong InitialMaxStreamDataBidiLocal { get; init; } = 1 << 20;

    /// <summary>initial_max_stream_data_bidi_remote: window for bidi streams the peer opens.</summary>
    public ulong InitialMaxStreamDataBidiRemote { get; init; } = 1 << 20;

    /// <summary>initial_max_stream_data_uni: window for uni streams the peer opens.</summary>
    public ulong InitialMaxStreamDataUni { get; init; } = 1 << 20;

    /// <summary>initial_max_streams_bidi: how many bidi streams the peer may have open.</summary>
    public ulong MaxStreamsBidi { get; init; } = 100;

    /// <summary>initial_max_streams_uni: how many uni streams the peer may have open.</summary>
    public ulong MaxStreamsUni { get; init; } = 100;

    /// <summary>Largest stream receive window auto-tuning may reach.</summary>
    public ulong MaxStreamWindow { get; init; } = 16 << 20;

    /// <summary>Largest connection receive window auto-tuning may reach.</summary>
    public ulong MaxConnectionWindow { get; init; } = 24 << 20;

    /// <summary>
    /// Unacknowledged bytes buffered per sending stream before the writer waits (backpressure), at first; auto-tuning
    /// raises it with what the paths carry (<see cref="StreamManager.GrowSendBuffers"/>) up to <see cref="MaxSendBufferPerStream"/>.
    /// </summary>
    public long SendBufferPerStream { get; init; } = 1 << 20;

    /// <summary>Largest send buffer per stream auto-tuning may reach.</summary>
    public long MaxSendBufferPerStream { get; init; } = 32 << 20;
}

/// <summary>The peer's limits, from its transport parameters (RFC 9000 §18.2).</summary>
public sealed record class PeerStreamLimits
{
    /// <summary>initial_max_data.</summary>
    public ulong InitialMaxData { get; init; }

    /// <summary>initial_max_stream_data_bidi_local: limit for bidi streams the peer opens.</summary>
    public ulong InitialMaxStreamDataBidiLocal { get; init; }

    /// <summary>initial_max_stream_data_bidi_remote: limit for bidi streams we open.</summary>
    public ulong InitialMaxStreamDataBidiRemote { get; init; }

    /// <summary>initial_max_stream_data_uni: limit for uni streams we open.</summary>
    public ulong InitialMaxStreamDataUni { get; init; }

    /// <summary>initial_max_streams_bidi: bidi streams we may open.</summary>
    public ulong MaxStreamsBidi { get; init; }

    /// <summary>initial_max_streams_uni: uni streams we may open.</summary>
    public ulong MaxStreamsUni { get; init; }
}
