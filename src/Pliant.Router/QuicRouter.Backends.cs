using System.Buffers.Binary;
using Pliant.Quic;
using Pliant.Quic.Wire;

namespace Pliant.Router;

// What the router learns from backends: the connection IDs of backends that do not issue QUIC-LB IDs (from
// the Source Connection ID of their long-header packets, draft §4.2), and whether each backend answers at
// all (health probes: a long-header packet of a reserved version, answered by every QUIC server with Version
// Negotiation, RFC 9000 §6, §15).
public sealed partial class QuicRouter
{
    /// <summary>The version of health probes: of the form 0x?a?a?a?a, reserved to exercise version negotiation (RFC 9000 §15).</summary>
    public const uint ProbeVersion = 0x1a2a3a4a;

    /// <summary>Probes are padded like a client's first datagram: servers need not answer smaller ones (RFC 9000 §6.1, §14.1).</summary>
    public const int ProbeLength = 1200;

    private readonly ProbeState[] _probes;
    private int _probeCursor;

    private sealed class ProbeState
    {
        public readonly byte[] Id = new byte[8];
        public long NextUs;
        public bool Outstanding;
        public int Misses;
    }

    /// <summary>
    /// Looks at a datagram <paramref name="backend"/> sent towards a client. Returns true when it is the answer to a
    /// health probe (the host must not forward it). For a backend without QUIC-LB IDs, the Source Connection IDs
    /// of its long-header packets are learned (bounded, expiring), so the client's later packets find it, also
    /// from a new address. Short-header datagrams cost one byte test.
    /// </summary>
    public bool OnBackendDatagram(long nowUs, RouterBackend backend, ReadOnlySpan<byte> datagram)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (datagram.Length < 7 || (datagram[0] & 0x80) == 0) return false;
        uint version = BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]);
        if (version == QuicVersion.Negotiation) return IsProbeAnswer(backend, datagram);
        if (backend.RoutableByQuicLb) return false;
        lock (_lock)
        {
            int offset = 0;
            for (int i = 0; i < 4 && offset < datagram.Length; i++)
            {
                if (!LenientHeader.TryParse(datagram[offset..], out var h) || !h.IsLongHeader || !h.IsSupportedVersion) break;
                if (h.SourceConnectionId.Length > 0) Learn(nowUs, h.SourceConnectionId, backend);
                offset += h.PacketLength;
            }
        }
        return false;
    }

    private void Learn(long nowUs, ConnectionId id, RouterBackend backend)
    {
        _learned.Set(id, backend, nowUs); // a full table evicts its least recently used ID (counted by the table's callback)
        var lengths = _learnedLengths;
        if (Array.IndexOf(lengths, id.Length) >= 0 || lengths.Length >= _limits.MaxLearnedIdLengths) return;
        Volatile.Write(ref _learnedLengths, [.. lengths, id.Length]);
    }

    /// <summary>RFC 9000 §17.2.1: a Version Negotiation answer echoes the probe's Source Connection ID as its Destination Connection ID.</summary>
    private bool IsProbeAnswer(RouterBackend backend, ReadOnlySpan<byte> datagram)
    {
        int dcidLength = datagram[5];
        if (datagram.Length < 6 + dcidLength) return false;
        var state = _probes[backend.Index];
        lock (_lock)
        {
            if (dcidLength != state.Id.Length || !datagram.Slice(6, dcidLength).SequenceEqual(state.Id)) return false;
            state.Outstanding = false;
            state.Misses = 0;
            if (backend.Health == BackendHealth.Down)
            {
                backend.Health = BackendHealth.Up;
                Statistics.CountUp();
            }
            return true;
        }
    }

    /// <summary>
    /// The next health probe due at <paramref name="nowUs"/>: a <see cref="ProbeLength"/>-byte long-header packet of
    /// version <see cref="ProbeVersion"/> written to <paramref name="buffer"/> for <paramref name="backend"/> (behind the
    /// forwarding header naming client 0.0.0.0:0 for a Pliant backend). A probe still unanswered when the next one is
    /// due counts as a miss; after <see cref="RouterLimits.ProbesBeforeDown"/> misses in a row the backend is down.
    /// </summary>
    public bool TryPollProbe(long nowUs, Span<byte> buffer, out RouterBackend backend, out int length)
    {
        backend = null!;
        length = 0;
        if (_limits.ProbeInterval <= TimeSpan.Zero || _backends.Length == 0) return false;
        if (buffer.Length < ProbeLength) throw new ArgumentException($"probes are {ProbeLength} bytes", nameof(buffer));
        lock (_lock)
        {
            for (int n = 0; n < _backends.Length; n++)
            {
                int i = (_probeCursor + n) % _backends.Length;
                var state = _probes[i];
                if (state.NextUs > nowUs) continue;
                _probeCursor = (i + 1) % _backends.Length;
                backend = _backends[i];
                if (state.Outstanding && ++state.Misses >= _limits.ProbesBeforeDown && backend.Health == BackendHealth.Up)
                {
                    backend.Health = BackendHealth.Down;
                    Statistics.CountDown();
                }
                _random.Fill(state.Id);
                state.Outstanding = true;
                state.NextUs = nowUs + (long)_limits.ProbeInterval.TotalMicroseconds;
                length = WriteProbe(buffer, state.Id);
                return true;
            }
        }
        return false;
    }

    private int WriteProbe(Span<byte> buffer, ReadOnlySpan<byte> id)
    {
        var packet = buffer[..ProbeLength];
        packet.Clear();
        packet[0] = 0xc0; // long header, fixed bit (RFC 8999 §5.1)
        BinaryPrimitives.WriteUInt32BigEndian(packet[1..], ProbeVersion);
        packet[5] = 8;
        _random.Fill(packet.Slice(6, 8));
        packet[14] = (byte)id.Length;
        id.CopyTo(packet[15..]);
        return ProbeLength;
    }
}
