namespace Pliant.Net.Udp;

/// <summary>Datagram and syscall counters of one socket; updated without locks.</summary>
internal sealed class UdpCounters
{
    private long _datagramsSent, _sendSyscalls, _datagramsReceived, _receiveSyscalls, _sendErrors;

    public long DatagramsSent => Volatile.Read(ref _datagramsSent);
    public long SendSyscalls => Volatile.Read(ref _sendSyscalls);
    public long DatagramsReceived => Volatile.Read(ref _datagramsReceived);
    public long ReceiveSyscalls => Volatile.Read(ref _receiveSyscalls);
    public long SendErrors => Volatile.Read(ref _sendErrors);

    /// <summary>Datagrams sent per send syscall (GSO makes it &gt; 1).</summary>
    public double DatagramsPerSendSyscall => SendSyscalls == 0 ? 0 : (double)DatagramsSent / SendSyscalls;

    /// <summary>Datagrams received per receive syscall (recvmmsg and GRO make it &gt; 1).</summary>
    public double DatagramsPerReceiveSyscall => ReceiveSyscalls == 0 ? 0 : (double)DatagramsReceived / ReceiveSyscalls;

    internal void OnSend(int datagrams)
    {
        Interlocked.Add(ref _datagramsSent, datagrams);
        Interlocked.Increment(ref _sendSyscalls);
    }

    internal void OnSendError() => Interlocked.Increment(ref _sendErrors);

    internal void OnReceive(int datagrams)
    {
        Interlocked.Add(ref _datagramsReceived, datagrams);
        Interlocked.Increment(ref _receiveSyscalls);
    }

    public override string ToString() =>
        $"sent {DatagramsSent} in {SendSyscalls} syscalls ({DatagramsPerSendSyscall:F1}/call), " +
        $"received {DatagramsReceived} in {ReceiveSyscalls} syscalls ({DatagramsPerReceiveSyscall:F1}/call), send errors {SendErrors}";
}
