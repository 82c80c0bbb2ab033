using System.Net;

namespace Pliant.Cli.Relay;

/// <summary>Configuration of an <see cref="ImpairmentRelay"/>.</summary>
public sealed record RelayOptions
{
    /// <summary>Where clients send (port 0 = any free port; read <see cref="ImpairmentRelay.LocalEndPoint"/>).</summary>
    public required IPEndPoint ListenEndPoint { get; init; }

    /// <summary>The server every flow is forwarded to.</summary>
    public required IPEndPoint TargetEndPoint { get; init; }

    /// <summary>
    /// Seed of every random choice. The fate of a datagram (lost, corrupted where and how, reordered,
    /// jitter) is a function of (seed, flow number, direction, datagram number in that flow and direction)
    /// only, so a run with the same seed and the same traffic makes the same choices whatever the timing.
    /// Flows are numbered 0, 1, ... in the order their first datagram reached the relay.
    /// </summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Impairments on client → server datagrams ("up").</summary>
    public ImpairmentSettings ClientToServer { get; init; } = ImpairmentSettings.None;

    /// <summary>Impairments on server → client datagrams ("down").</summary>
    public ImpairmentSettings ServerToClient { get; init; } = ImpairmentSettings.None;

    /// <summary>
    /// Start a blackhole (every datagram in both directions dropped, counted as blackholed) once this many
    /// bytes have been forwarded server → client over all flows; negative = never.
    /// </summary>
    public long BlackholeAfterBytes { get; init; } = -1;

    /// <summary>How long the blackhole started by <see cref="BlackholeAfterBytes"/> lasts.</summary>
    public TimeSpan BlackholeDuration { get; init; }

    /// <summary>
    /// Per flow: every client datagram after the first one is dropped until this long after the first one
    /// arrived (the client's second flight is lost, so a server can only spend the credit of the first
    /// datagram: RFC 9000 §8.1's 3x limit). Zero = off.
    /// </summary>
    public TimeSpan LoseSecondFlight { get; init; }

    /// <summary>
    /// At most this many flows (client addresses); datagrams from further addresses are dropped and
    /// counted in <see cref="ImpairmentRelay.RejectedDatagrams"/>. Each flow holds a socket and a 64 KiB buffer.
    /// </summary>
    public int MaxFlows { get; init; } = 1024;

    /// <summary>Per flow, the first this many datagrams (both directions) are recorded in <see cref="RelayFlow.Trace"/> (about 40 bytes each).</summary>
    public int TracePerFlow { get; init; }

    /// <summary>Kernel socket buffer size asked for each relay socket.</summary>
    public int SocketBufferBytes { get; init; } = 4 << 20;

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range values.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(ListenEndPoint);
        ArgumentNullException.ThrowIfNull(TargetEndPoint);
        ArgumentNullException.ThrowIfNull(ClientToServer);
        ArgumentNullException.ThrowIfNull(ServerToClient);
        ClientToServer.Validate();
        ServerToClient.Validate();
        if (BlackholeAfterBytes >= 0 && BlackholeDuration <= TimeSpan.Zero) throw new ArgumentException("a blackhole needs a positive duration");
        if (LoseSecondFlight < TimeSpan.Zero) throw new ArgumentException("LoseSecondFlight must not be negative");
        if (MaxFlows is < 1 or > 65536) throw new ArgumentException("MaxFlows must be in 1..65536");
        if (TracePerFlow is < 0 or > 1_000_000) throw new ArgumentException("TracePerFlow must be in 0..1000000");
    }
}
