using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Pliant.Quic.Connection;

namespace Pliant.Net.Udp.Linux;

/// <summary>
/// Which members of a reuseport group are live, as a process last read it from the group's state file
/// (<see cref="ReusePortMembership"/>). Immutable; the membership swaps in a new one.
/// </summary>
/// <param name="Live">Live members (generation &lt;&lt; 8 | driver), sorted.</param>
/// <param name="NextGeneration">The generation the next process to join will get.</param>
internal sealed record ReusePortView(int[] Live, int NextGeneration)
{
    /// <summary>Generations at or after <see cref="NextGeneration"/> that may have joined since this view was read.</summary>
    public const int FutureWindow = 8;

    /// <summary>
    /// True when <paramref name="member"/> may be serving connections: it is live, or its generation is one a process
    /// may have taken since this view was read (the watchdog refreshes the view every few hundred milliseconds).
    /// </summary>
    public bool MayBeLive(int member) =>
        Array.BinarySearch(Live, member) >= 0 || (byte)((member >> 8) - NextGeneration) < FutureWindow;
}

/// <summary>
/// One socket of a process in a reuseport group of processes, as its endpoint driver sees it: datagrams pass
/// through unchanged except (1) membership probes (<see cref="ReusePortSteering.ProbeLength"/> bytes, from a local
/// address), which are answered with this socket's generation and driver and never reach QUIC, and (2) datagrams
/// whose connection ID names another member that may be live, which are dropped and counted
/// (<see cref="Missteered"/>) — they reached this socket only in the instant between a socket leaving the group
/// and the program being rebuilt, and the endpoint must not answer them with a stateless reset (every
/// generation derives reset tokens from one shared key, so such a reset would end the other member's
/// connection). A datagram naming a member that is gone passes, so the endpoint resets it (RFC 9000 §10.3).
/// </summary>
/// <remarks>
/// Cost per datagram: a length test and, for IDs of the group's layout, a compare of the first octet, the
/// host prefix and two bytes; no allocation. A GRO batch (one sender, coalesced) is judged by its first
/// datagram. State: none per datagram; counters only.
/// </remarks>
internal sealed class ReusePortMemberSocket : IUdpTransport
{
    private readonly SteeringLayout _layout;
    private readonly Func<ReusePortView> _view;
    private readonly IPAddress _localAddress;
    private Socket? _answers;
    private long _missteered, _probesAnswered;

    public ReusePortMemberSocket(LinuxUdpSocket inner, SteeringLayout layout, int member, Func<ReusePortView> view)
    {
        Inner = inner;
        _layout = layout;
        Member = member;
        _view = view;
        _localAddress = Normalize(inner.LocalEndPoint.Address);
    }

    /// <summary>The socket in the group.</summary>
    public LinuxUdpSocket Inner { get; }

    /// <summary>Generation &lt;&lt; 8 | driver index of this socket.</summary>
    public int Member { get; }

    /// <summary>Datagrams dropped because they named another live member.</summary>
    public long Missteered => Interlocked.Read(ref _missteered);

    /// <summary>Membership probes answered.</summary>
    public long ProbesAnswered => Interlocked.Read(ref _probesAnswered);

    /// <summary>Set once the membership closed the socket (a driver disposing it then does nothing).</summary>
    internal bool Closed { get; private set; }

    public IPEndPoint LocalEndPoint => Inner.LocalEndPoint;

    public bool GsoEnabled => Inner.GsoEnabled;

    public int MaxSegments => Inner.MaxSegments;

    public UdpCounters Counters => Inner.Counters;

    public UdpReceiveBatch CreateReceiveBatch() => Inner.CreateReceiveBatch();

    public int ReceiveBatch(UdpReceiveBatch batch, int timeoutMs)
    {
        int n = Inner.ReceiveBatch(batch, timeoutMs);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            ref var entry = ref batch[i];
            int first = entry.SegmentSize > 0 && entry.SegmentSize < entry.Length ? entry.SegmentSize : entry.Length;
            var datagram = batch.GetData(i)[..first];
            if (Keep(datagram, entry.From))
            {
                if (kept != i)
                {
                    batch.GetData(i).CopyTo(batch.GetSlot(kept));
                    batch[kept] = entry;
                }
                kept++;
            }
        }
        batch.Count = kept;
        return kept;
    }

    private bool Keep(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (datagram.Length == ReusePortSteering.ProbeLength && BinaryPrimitives.ReadUInt64BigEndian(datagram) == ReusePortSteering.ProbeMagic)
        {
            Answer(datagram, from);
            return false;
        }
        int member = _layout.MemberOf(datagram);
        if (member < 0 || member == Member || !_view().MayBeLive(member)) return true;
        Interlocked.Increment(ref _missteered);
        return false;
    }

    /// <summary>Answer: magic, the probed index, generation, driver, 0, the probe's 16-byte nonce, process id.</summary>
    private void Answer(ReadOnlySpan<byte> probe, IPEndPoint from)
    {
        // Only probes from this host: loopback or the group's own address.
        var source = Normalize(from.Address);
        if (!IPAddress.IsLoopback(source) && !source.Equals(_localAddress)) return;
        Span<byte> answer = stackalloc byte[ReusePortSteering.ProbeLength];
        BinaryPrimitives.WriteUInt64BigEndian(answer, ReusePortSteering.AnswerMagic);
        answer[8] = probe[8];
        answer[9] = (byte)(Member >> 8);
        answer[10] = (byte)Member;
        answer[11] = 0;
        probe.Slice(12, 16).CopyTo(answer[12..]);
        BinaryPrimitives.WriteInt32BigEndian(answer[28..], Environment.ProcessId);
        try
        {
            _answers ??= new Socket(from.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (_answers.AddressFamily != from.AddressFamily)
            {
                _answers.Dispose();
                _answers = new Socket(from.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            }
            _answers.SendTo(answer, from);
            Interlocked.Increment(ref _probesAnswered);
        }
        catch (SocketException)
        {
            // The prober gone: nothing to answer.
        }
    }

    public void Send(ReadOnlySpan<byte> data, IPEndPoint destination, int segmentSize, EcnCodepoint ecn) =>
        Inner.Send(data, destination, segmentSize, ecn);

    public void Wait(long timeoutUs) => Inner.Wait(timeoutUs);

    public void Interrupt() => Inner.Interrupt();

    /// <summary>Nothing: the membership closes the socket itself, in the order that keeps the group's program right.</summary>
    public void Dispose() => _answers?.Dispose();

    /// <summary>Closes the socket (the membership, when leaving the group).</summary>
    internal void Close()
    {
        Closed = true;
        Inner.Dispose();
    }

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
