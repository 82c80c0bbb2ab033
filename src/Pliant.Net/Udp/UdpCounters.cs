namespace Pliant.Net.Udp;

/// <summary>Datagram and syscall counters of one socket; updated without locks.</summary>
internal sealed class UdpCounters
{
    // Process-wide totals for the metrics (QuicMetrics: pliant.quic.datagrams, pliant.quic.bytes): the live sockets'
    // counters summed at collection, plus those of sockets already closed. Nothing shared is written per datagram.
    private static readonly Lock s_registry = new();
    private static readonly HashSet<UdpCounters> s_live = [];
    private static long s_retiredDatagramsIn, s_retiredDatagramsOut, s_retiredBytesIn, s_retiredBytesOut;
    private bool _retired;

    static UdpCounters() => Pliant.Quic.Diagnostics.QuicMetrics.ObserveTraffic(Totals);

    public UdpCounters()
    {
        lock (s_registry) s_live.Add(this);
    }

    /// <summary>The socket closed: its counts join the retired totals (once).</summary>
    internal void Retire()
    {
        lock (s_registry)
        {
            if (_retired) return;
            _retired = true;
            s_live.Remove(this);
            s_retiredDatagramsIn += DatagramsReceived;
            s_retiredDatagramsOut += DatagramsSent;
            s_retiredBytesIn += BytesReceived;
            s_retiredBytesOut += BytesSent;
        }
    }

    /// <summary>Datagrams and bytes, in and out, over every socket of the process so far.</summary>
    internal static (long DatagramsIn, long DatagramsOut, long BytesIn, long BytesOut) Totals()
    {
        lock (s_registry)
        {
            long di = s_retiredDatagramsIn, dout = s_retiredDatagramsOut, bi = s_retiredBytesIn, bo = s_retiredBytesOut;
            foreach (var c in s_live)
            {
                di += c.DatagramsReceived;
                dout += c.DatagramsSent;
                bi += c.BytesReceived;
                bo += c.BytesSent;
            }
            return (di, dout, bi, bo);
        }
    }

    private long _datagramsSent, _sendSyscalls, _datagramsReceived, _receiveSyscalls, _sendErrors, _bytesSent, _bytesReceived;

    /// <summary>UDP payload bytes sent (datagrams handed to the kernel).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>UDP payload bytes received.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    public long DatagramsSent => Volatile.Read(ref _datagramsSent);
    public long SendSyscalls => Volatile.Read(ref _sendSyscalls);
    public long DatagramsReceived => Volatile.Read(ref _datagramsReceived);
    public long ReceiveSyscalls => Volatile.Read(ref _receiveSyscalls);
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>Datagrams sent per send syscall (GSO makes it &gt; 1).</summary>
    public double DatagramsPerSendSyscall => SendSyscalls == 0 ? 0 : (double)DatagramsSent / SendSyscalls;

    /// <summary>Datagrams received per receive syscall (recvmmsg and GRO make it &gt; 1).</summary>
    public double DatagramsPerReceiveSyscall => ReceiveSyscalls == 0 ? 0 : (double)DatagramsReceived / ReceiveSyscalls;

    internal void OnSend(int datagrams, int bytes)
    {
        Interlocked.Add(ref _bytesSent, bytes);
        Interlocked.Add(ref _datagramsSent, datagrams);
        Interlocked.Increment(ref _sendSyscalls);
    }

    internal void OnSendError() => Interlocked.Increment(ref _sendErrors);

    internal void OnReceive(int datagrams, long bytes)
    {
        Interlocked.Add(ref _bytesReceived, bytes);
        Interlocked.Add(ref _datagramsReceived, datagrams);
        Interlocked.Increment(ref _receiveSyscalls);
    }

    public override string ToString() =>
        $"sent {DatagramsSent} in {SendSyscalls} syscalls ({DatagramsPerSendSyscall:F1}/call), " +
        $"received {DatagramsReceived} in {ReceiveSyscalls} syscalls ({DatagramsPerReceiveSyscall:F1}/call), send errors {SendErrors}";
}
