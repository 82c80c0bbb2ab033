using System.Buffers.Binary;

namespace Pliant.Net.Udp.Linux;

/// <summary>
/// Where the generation and driver bytes sit in the connection IDs of a reuseport group of processes
/// (<see cref="ReusePortMembership"/>): plaintext QUIC-LB IDs (draft-ietf-quic-load-balancers-21 §5.4.1) whose
/// server ID ends in (generation, driver index) after a host prefix (<c>Pliant.Router.QuicLb.ServerIdLayout</c>).
/// </summary>
/// <param name="ConnectionIdLength">Length of every connection ID the group's servers issue.</param>
/// <param name="FirstOctetMask">Bits of the first octet that are fixed (0xE0: config rotation bits; 0xFF with the length encoded).</param>
/// <param name="FirstOctetValue">Their value.</param>
/// <param name="HostPrefix">The host prefix, at offset 1 of the connection ID.</param>
/// <param name="LocalOffset">Offset in the connection ID of the generation byte; the driver index follows it.</param>
internal sealed record SteeringLayout(int ConnectionIdLength, byte FirstOctetMask, byte FirstOctetValue, byte[] HostPrefix, int LocalOffset)
{
    /// <summary>One line naming the layout (kept in the state file: every generation must use the same one).</summary>
    public string Describe() =>
        $"cid={ConnectionIdLength},first={FirstOctetMask:x2}/{FirstOctetValue:x2},prefix={Convert.ToHexString(HostPrefix).ToLowerInvariant()},local={LocalOffset}";

    /// <summary>Throws <see cref="ArgumentException"/> when the layout cannot be steered on.</summary>
    public void Validate()
    {
        if (ConnectionIdLength is < 4 or > 20) throw new ArgumentException("connection IDs of 4 to 20 bytes");
        if (LocalOffset < 1 + HostPrefix.Length || LocalOffset + 2 > ConnectionIdLength)
            throw new ArgumentException("the generation and driver bytes must follow the host prefix inside the connection ID");
    }

    /// <summary>
    /// The (generation, driver) member a datagram's Destination Connection ID names, or -1 when it names none of
    /// this layout (a client-chosen ID, another configuration, another host prefix, or too short to tell).
    /// </summary>
    /// <remarks>The same decisions as the steering program (<see cref="ReusePortSteering.Program"/>), in C#.</remarks>
    public int MemberOf(ReadOnlySpan<byte> datagram)
    {
        int at;
        if (datagram.IsEmpty) return -1;
        if ((datagram[0] & 0x80) == 0)
        {
            at = 1; // RFC 9000 §17.3: short header, the DCID follows the first byte
            if (datagram.Length < at + ConnectionIdLength) return -1;
        }
        else
        {
            at = 6; // RFC 9000 §17.2: flags, version (4), DCID length, DCID
            if (datagram.Length < at + ConnectionIdLength || datagram[5] != ConnectionIdLength) return -1;
        }
        var cid = datagram.Slice(at, ConnectionIdLength);
        if ((cid[0] & FirstOctetMask) != FirstOctetValue || !cid.Slice(1, HostPrefix.Length).SequenceEqual(HostPrefix)) return -1;
        return BinaryPrimitives.ReadUInt16BigEndian(cid[LocalOffset..]);
    }
}

/// <summary>
/// The classic BPF program (SO_ATTACH_REUSEPORT_CBPF) of a reuseport group of processes: each datagram whose
/// Destination Connection ID names a live (generation, driver) goes to that driver's socket; every other one
/// — a client's Initial with an ID it chose, an ID of a generation that is gone, junk — to a socket of the
/// newest generation. Classic BPF returns an index into the group's socket array, which the kernel keeps in
/// join order and reorders when a socket leaves (the last one moves into the freed slot; checked by
/// <c>ReusePortKernelTests</c>), so the program is rebuilt at every change of membership.
/// </summary>
/// <remarks>
/// Also answers membership probes: a 32-byte datagram starting with <see cref="ProbeMagic"/> goes to the socket
/// whose index is its byte 8 — how a process learns the kernel's socket order after another one crashed
/// (<see cref="ReusePortMembership"/>). A probe can only name a socket, which any sender could reach anyway.
/// </remarks>
internal static class ReusePortSteering
{
    /// <summary>Length of a probe and of its answer.</summary>
    public const int ProbeLength = 32;

    /// <summary>First 8 bytes of a probe ("\0PLTRPRB"); a QUIC packet starts with the fixed bit set (RFC 9000 §17).</summary>
    public const ulong ProbeMagic = 0x00504C5452505242;

    /// <summary>First 8 bytes of a probe's answer ("\0PLTRPAN").</summary>
    public const ulong AnswerMagic = 0x00504C545250414E;

    /// <summary>Most sockets a program steers among (the program stays far below the kernel's 4,096 instructions).</summary>
    public const int MaxSockets = 1024;

    /// <summary>
    /// The program for a group whose socket <c>k</c> belongs to <paramref name="members"/>[k] (generation &lt;&lt; 8 |
    /// driver, or -1 for a socket of unknown owner, which nothing is steered to); new connections go to the sockets
    /// <paramref name="newest"/> (indices, by the first byte of the DCID).
    /// </summary>
    public static ReusePortGroup.SockFilter[] Program(SteeringLayout layout, IReadOnlyList<int> members, IReadOnlyList<int> newest)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.Validate();
        if (members.Count is 0 or > MaxSockets) throw new ArgumentOutOfRangeException(nameof(members), $"1 to {MaxSockets} sockets");
        if (newest.Count == 0) throw new ArgumentException("no socket for new connections", nameof(newest));
        foreach (int i in newest)
            if (i < 0 || i >= members.Count) throw new ArgumentOutOfRangeException(nameof(newest));
        int cid = layout.ConnectionIdLength;
        var a = new Assembler();
        // Membership probes (see remarks).
        a.Emit(LdLen);
        a.Jump(Jeq, ProbeLength, null, "quic");
        a.Emit(LdW, 0);
        a.Jump(Jeq, (uint)(ProbeMagic >> 32), null, "quic");
        a.Emit(LdW, 4);
        a.Jump(Jeq, unchecked((uint)ProbeMagic), null, "quic");
        a.Emit(LdB, 8);
        a.Emit(RetA);
        a.Label("quic");
        // M[0] = payload length (the kernel pulled the UDP header: offset 0 is the first QUIC byte).
        a.Emit(LdLen);
        a.Emit(St, 0);
        a.Jump(Jge, 2, null, "junk");
        a.Emit(LdB, 0);
        a.Jump(Jset, 0x80, "long", null);
        // RFC 9000 §17.3: a short header's DCID starts at byte 1 (its length is not on the wire).
        a.Emit(LdxImm, 1);
        a.Emit(LdMem, 0);
        a.Jump(Jge, (uint)(1 + cid), "dcid", "new");
        // RFC 9000 §17.2: a long header's DCID length is byte 5, the DCID starts at byte 6.
        a.Label("long");
        a.Emit(LdMem, 0);
        a.Jump(Jge, 7, null, "junk");
        a.Emit(LdxImm, 6);
        a.Emit(LdMem, 0);
        a.Jump(Jge, (uint)(6 + cid), null, "new");
        a.Emit(LdB, 5);
        a.Jump(Jeq, (uint)cid, "dcid", "new");
        // X = offset of the DCID, which the datagram holds in full.
        a.Label("dcid");
        a.Emit(LdBInd, 0);
        if (layout.FirstOctetMask != 0xFF) a.Emit(AndK, layout.FirstOctetMask);
        a.Jump(Jeq, layout.FirstOctetValue, null, "new");
        for (int i = 0; i < layout.HostPrefix.Length; i++)
        {
            a.Emit(LdBInd, (uint)(1 + i));
            a.Jump(Jeq, layout.HostPrefix[i], null, "new");
        }
        a.Emit(LdHInd, (uint)layout.LocalOffset);
        a.Jump(Ja, 0, "members", null);
        NewConnection(a, "new", newest);
        a.Label("junk");
        a.Emit(RetK, (uint)newest[0]);
        // A = generation << 8 | driver: the socket of that member, if it is live.
        a.Label("members");
        for (int k = 0; k < members.Count; k++)
        {
            if (members[k] < 0) continue;
            a.Emit(new ReusePortGroup.SockFilter(Jeq, 0, 1, (uint)members[k]));
            a.Emit(RetK, (uint)k);
        }
        // Conditional jumps only go forward: the new-connection block again for IDs of no live member.
        NewConnection(a, "new2", newest);
        return a.Build();
    }

    /// <summary>X = DCID offset and the datagram holds its first byte: pick a newest socket by that byte.</summary>
    private static void NewConnection(Assembler a, string label, IReadOnlyList<int> newest)
    {
        a.Label(label);
        if (newest.Count == 1)
        {
            a.Emit(RetK, (uint)newest[0]);
            return;
        }
        // A client's Initial DCID is at least 8 random bytes (RFC 9000 §7.2): its retransmissions pick the same socket.
        a.Emit(LdBInd, 0);
        a.Emit(ModK, (uint)newest.Count);
        for (int j = 0; j < newest.Count - 1; j++)
        {
            a.Emit(new ReusePortGroup.SockFilter(Jeq, 0, 1, (uint)j));
            a.Emit(RetK, (uint)newest[j]);
        }
        a.Emit(RetK, (uint)newest[^1]);
    }

    // Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
    private const ushort LdW = 0x20, LdB = 0x30, LdLen = 0x80, LdMem = 0x60, LdBInd = 0x50, LdHInd = 0x48;
    private const ushort LdxImm = 0x01, St = 0x02;
    private const ushort Ja = 0x05, Jeq = 0x15, Jge = 0x35, Jset = 0x45;
    private const ushort AndK = 0x54, ModK = 0x94;
    private const ushort RetK = 0x06, RetA = 0x16;

    /// <summary>Emits instructions with forward jumps to labels (null: the next instruction).</summary>
    private sealed class Assembler
    {
        private readonly List<ReusePortGroup.SockFilter> _code = [];
        private readonly Dictionary<string, int> _labels = [];
        private readonly List<(int At, string? True, string? False)> _fixups = [];

        public void Emit(ushort code, uint k = 0) => _code.Add(new ReusePortGroup.SockFilter(code, 0, 0, k));

        public void Emit(ReusePortGroup.SockFilter instruction) => _code.Add(instruction);

        public void Jump(ushort code, uint k, string? whenTrue, string? whenFalse)
        {
            _fixups.Add((_code.Count, whenTrue, whenFalse));
            _code.Add(new ReusePortGroup.SockFilter(code, 0, 0, k));
        }

        public void Label(string name) => _labels.Add(name, _code.Count);

        public ReusePortGroup.SockFilter[] Build()
        {
            foreach (var (at, t, f) in _fixups)
            {
                var ins = _code[at];
                if (ins.Code == Ja)
                {
                    _code[at] = ins with { K = (uint)Offset(at, t) };
                    continue;
                }
                int jt = Offset(at, t), jf = Offset(at, f);
                if (jt > 255 || jf > 255) throw new InvalidOperationException("conditional jump too far");
                _code[at] = ins with { Jt = (byte)jt, Jf = (byte)jf };
            }
            if (_code.Count > 4096) throw new InvalidOperationException("program too long");
            return [.. _code];
        }

        private int Offset(int at, string? label) => label is null ? 0 : _labels[label] - at - 1;
    }
}
