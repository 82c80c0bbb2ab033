namespace Pliant.Quic.Connection;

/// <summary>
/// Datagram Packetization Layer PMTU Discovery for one path (RFC 8899 as RFC 9000 §14.3 applies it to QUIC): the
/// path starts at the 1,200 bytes every QUIC path carries (BASE_PLPMTU, RFC 9000 §14.1) and carries more only once
/// a probe of that size — a PING padded to it, sent when the handshake has completed and the path is validated —
/// was acknowledged. The search tries the largest size both sides allow first (one round trip on ordinary
/// networks), then bisects between the largest acknowledged size and the smallest refused one: a size is refused
/// after <see cref="MaxProbes"/> lost probes (RFC 8899 §5.1.2 MAX_PROBES), and the search ends when the unknown range
/// is narrower than <see cref="Granularity"/>. A search that ended below the largest size tries again after
/// <see cref="RaiseTimerUs"/> (PMTU_RAISE_TIMER, §5.1.1). A black hole — the path stopped carrying datagrams of the
/// size in use (RFC 8899 §4.3; the connection sees repeated PTOs) — takes the path back to 1,200 bytes and searches
/// again below the size that failed. Sans-IO: the connection sends and accounts the probes; this decides sizes.
/// Bounded: one probe in flight per path, no allocation.
/// </summary>
internal sealed class PmtuDiscovery
{
    /// <summary>BASE_PLPMTU: the smallest maximum datagram size QUIC allows (RFC 9000 §14).</summary>
    public const int BaseSize = 1200;

    /// <summary>Lost probes of one size before that size counts as too large (RFC 8899 §5.1.2 MAX_PROBES).</summary>
    public const int MaxProbes = 3;

    /// <summary>The search stops when the range between acknowledged and refused is narrower than this.</summary>
    public const int Granularity = 16;

    /// <summary>PMTU_RAISE_TIMER (RFC 8899 §5.1.1): how long after a search that ended below the limit it retries.</summary>
    public const long RaiseTimerUs = 600_000_000;

    /// <summary>How long after a black hole the search restarts (the path first recovers at 1,200 bytes).</summary>
    public const long BlackHoleBackoffUs = 1_000_000;

    private int _max = BaseSize;     // the largest size both sides allow (local option, peer's max_udp_payload_size)
    private int _low = BaseSize;     // the largest size acknowledged: the datagram size in use
    private int _high = BaseSize;    // the largest size not yet refused
    private bool _tryHighFirst;      // the first probe of a search is the largest size
    private bool _started;
    private int _inFlightSize;       // the probe in flight (0: none)
    private int _lostAtSize, _lostSize;
    private long _nextProbeUs = long.MaxValue;

    /// <summary>The datagram size confirmed for the path (1,200 until a probe was acknowledged).</summary>
    public int Current => _low;

    /// <summary>The largest size the search may reach.</summary>
    public int Limit => _max;

    /// <summary>True while a search is under way (not ended, or waiting to retry).</summary>
    public bool Searching => _started && _high - _low >= Granularity;

    /// <summary>Probes sent, probes lost, black holes detected (diagnostics).</summary>
    public long ProbesSent, ProbesLost, BlackHoles;

    /// <summary>
    /// Enters the search (RFC 9000 §14.3.1: once the handshake has completed, on a validated path) up to
    /// <paramref name="maxSize"/>; the first probe may go at once. Restarting keeps nothing but the limit.
    /// </summary>
    public void Start(int maxSize, long nowUs)
    {
        _max = Math.Max(BaseSize, maxSize);
        _low = BaseSize;
        _high = _max;
        _tryHighFirst = true;
        _started = true;
        _inFlightSize = 0;
        _lostAtSize = _lostSize = 0;
        _nextProbeUs = Searching ? nowUs : long.MaxValue;
    }

    /// <summary>True when a probe should go now (cheap: the send path asks before every datagram batch).</summary>
    public bool ProbeDue(long nowUs) => nowUs >= _nextProbeUs && _inFlightSize == 0;

    /// <summary>The size of the next probe (call when <see cref="ProbeDue"/>); 0 when the search has nothing to try.</summary>
    public int NextProbeSize(long nowUs)
    {
        if (!_started || _inFlightSize != 0) return 0;
        if (!Searching)
        {
            // PMTU_RAISE_TIMER: try the largest size again after a search that ended below it.
            if (_low >= _max || nowUs < _nextProbeUs) return 0;
            _high = _max;
            _tryHighFirst = true;
        }
        return _tryHighFirst ? _high : _low + (_high - _low + 1) / 2;
    }

    /// <summary>A probe of <paramref name="size"/> bytes left.</summary>
    public void OnProbeSent(int size)
    {
        _inFlightSize = size;
        _nextProbeUs = long.MaxValue;
        ProbesSent++;
    }

    /// <summary>A probe was acknowledged: the path carries <paramref name="size"/>. True when <see cref="Current"/> rose.</summary>
    public bool OnProbeAcked(int size, long nowUs)
    {
        if (size == _inFlightSize) _inFlightSize = 0;
        bool rose = size > _low && size <= _high;
        if (rose) _low = size;
        if (_lostSize != 0 && _lostSize <= _low) _lostAtSize = _lostSize = 0;
        _tryHighFirst = false;
        Schedule(nowUs);
        return rose;
    }

    /// <summary>A probe was declared lost: after <see cref="MaxProbes"/> losses its size counts as too large.</summary>
    public void OnProbeLost(int size, long nowUs)
    {
        if (size == _inFlightSize) _inFlightSize = 0;
        ProbesLost++;
        if (size <= _low) { Schedule(nowUs); return; } // an older probe of a size since confirmed
        if (size != _lostSize) (_lostSize, _lostAtSize) = (size, 0);
        if (++_lostAtSize >= MaxProbes)
        {
            _high = Math.Min(_high, size - 1);
            _tryHighFirst = false;
            _lostAtSize = _lostSize = 0;
        }
        Schedule(nowUs);
    }

    /// <summary>
    /// The path stopped carrying datagrams of the size in use (RFC 8899 §4.3): back to <see cref="BaseSize"/>, and
    /// search again below that size after <see cref="BlackHoleBackoffUs"/>. True when the size in use dropped.
    /// </summary>
    public bool OnBlackHole(long nowUs)
    {
        if (!_started || _low <= BaseSize) return false;
        BlackHoles++;
        _high = _low - 1;
        _low = BaseSize;
        _tryHighFirst = false;
        _inFlightSize = 0;
        _lostAtSize = _lostSize = 0;
        _nextProbeUs = nowUs + BlackHoleBackoffUs;
        return true;
    }

    private void Schedule(long nowUs) =>
        _nextProbeUs = Searching ? nowUs : _low < _max ? nowUs + RaiseTimerUs : long.MaxValue;
}
