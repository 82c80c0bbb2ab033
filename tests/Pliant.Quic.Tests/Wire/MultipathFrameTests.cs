using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

/// <summary>The frames of draft-ietf-quic-multipath-21 §4: encodings, field rules, hostile input.</summary>
public class MultipathFrameTests
{
    private static readonly byte[] Token = Enumerable.Range(0xA0, 16).Select(i => (byte)i).ToArray();

    /// <summary>Edge path IDs: each varint length, and the maximum 2^32-1 (8-byte varint).</summary>
    private static readonly uint[] EdgePathIds = [0, 1, 63, 64, 16383, 16384, (1u << 30) - 1, 1u << 30, uint.MaxValue];

    /// <summary>Parses one multipath frame the way a connection that negotiated multipath would; returns its type.</summary>
    internal static ulong ParseOne(ref WireReader r)
    {
        ulong t = FrameTypes.ReadType(ref r);
        switch ((FrameType)t)
        {
            case FrameType.PathAck or FrameType.PathAckEcn:
                var ack = PathAckFrame.Read(ref r, t);
                foreach (var range in ack.Ack.GetRanges()) Assert.True(range.Smallest <= range.Largest);
                break;
            case FrameType.PathAbandon: PathAbandonFrame.Read(ref r, t); break;
            case FrameType.PathStatusBackup or FrameType.PathStatusAvailable: PathStatusFrame.Read(ref r, t); break;
            case FrameType.PathNewConnectionId: PathNewConnectionIdFrame.Read(ref r, t); break;
            case FrameType.PathRetireConnectionId: PathRetireConnectionIdFrame.Read(ref r, t); break;
            case FrameType.MaxPathId: MaxPathIdFrame.Read(ref r, t); break;
            case FrameType.PathsBlocked: PathsBlockedFrame.Read(ref r, t); break;
            case FrameType.PathCidsBlocked: PathCidsBlockedFrame.Read(ref r, t); break;
            default:
                Assert.False(FrameTypes.IsMultipath(t));
                throw FrameTypes.UnknownType(t);
        }
        return t;
    }

    private static int ParseAll(ReadOnlySpan<byte> payload)
    {
        var r = FrameErrors.CreateReader(payload);
        int n = 0;
        while (!r.IsEmpty) { ParseOne(ref r); n++; }
        return n;
    }

    private static byte[] Encode<T>(T frame) where T : IWireFrame, allows ref struct
    {
        var buf = new byte[frame.EncodedLength];
        Assert.Equal(buf.Length, frame.Write(buf));
        return buf;
    }

    /// <summary>One of every frame (both PATH_ACK and both PATH_STATUS types), with path ID <paramref name="pathId"/>.</summary>
    private static List<byte[]> AllFrames(uint pathId, ulong big)
    {
        var pathAck = new byte[64];
        int n = PathAckFrame.Write(pathAck, pathId, [new AckRange(90, 100), new AckRange(50, 80), new AckRange(0, 10)], 25, null);
        var pathAckEcn = new byte[64];
        int m = PathAckFrame.Write(pathAckEcn, pathId, [new AckRange(big - 3, big)], big, new EcnCounts(big, 0, big));
        return
        [
            pathAck[..n],
            pathAckEcn[..m],
            Encode(new PathAbandonFrame(pathId, big)),
            Encode(new PathStatusFrame(pathId, big, Available: false)),
            Encode(new PathStatusFrame(pathId, big, Available: true)),
            Encode(new PathNewConnectionIdFrame(pathId, big, big, new ConnectionId(new byte[20]), Token)),
            Encode(new PathRetireConnectionIdFrame(pathId, big)),
            Encode(new MaxPathIdFrame(pathId)),
            Encode(new PathsBlockedFrame(pathId)),
            Encode(new PathCidsBlockedFrame(pathId, big)),
        ];
    }

    [Fact]
    public void KnownEncodings()
    {
        // Types 0x3e75.. are 2-byte varints (0x7e75..); PATH_ACK's 0x3e/0x3f are one byte.
        Assert.Equal("3e030a000002", Hex(PathAckFrame.Write, 3u, [new AckRange(8, 10)], 0, null));
        Assert.Equal("3f00050101000102010203", Hex(PathAckFrame.Write, 0u, [new AckRange(5, 5), new AckRange(0, 2)], 1, new EcnCounts(1, 2, 3)));
        Assert.Equal("7e75013e", Convert.ToHexStringLower(Encode(new PathAbandonFrame(1, (ulong)TransportErrorCode.ApplicationAbandonPath))));
        Assert.Equal("7e760205", Convert.ToHexStringLower(Encode(new PathStatusFrame(2, 5, false))));
        Assert.Equal("7e770205", Convert.ToHexStringLower(Encode(new PathStatusFrame(2, 5, true))));
        Assert.Equal("7e780107050201ab" + Convert.ToHexStringLower(Token),
            Convert.ToHexStringLower(Encode(new PathNewConnectionIdFrame(1, 7, 5, new ConnectionId([0x01, 0xab]), Token))));
        Assert.Equal("7e790407", Convert.ToHexStringLower(Encode(new PathRetireConnectionIdFrame(4, 7))));
        Assert.Equal("7e7ac0000000ffffffff", Convert.ToHexStringLower(Encode(new MaxPathIdFrame(uint.MaxValue))));
        Assert.Equal("7e7b4040", Convert.ToHexStringLower(Encode(new PathsBlockedFrame(64))));
        Assert.Equal("7e7c0900", Convert.ToHexStringLower(Encode(new PathCidsBlockedFrame(9, 0))));
    }

    private delegate int AckWriter(Span<byte> dest, uint pathId, ReadOnlySpan<AckRange> ranges, ulong delay, EcnCounts? ecn);

    private static string Hex(AckWriter write, uint pathId, AckRange[] ranges, ulong delay, EcnCounts? ecn)
    {
        var buf = new byte[PathAckFrame.GetEncodedLength(pathId, ranges, delay, ecn)];
        Assert.Equal(buf.Length, write(buf, pathId, ranges, delay, ecn));
        return Convert.ToHexStringLower(buf);
    }

    [Fact]
    public void EveryFrameRoundTripsWithEdgeValues()
    {
        foreach (uint pathId in EdgePathIds)
        {
            foreach (ulong big in new ulong[] { 3, VarInt.Max })
            {
                foreach (byte[] frame in AllFrames(pathId, big))
                {
                    var r = FrameErrors.CreateReader(frame);
                    ulong t = FrameTypes.ReadType(ref r);
                    Assert.True(FrameTypes.IsMultipath(t));
                    Assert.False(FrameTypes.IsKnown(t));
                    var copy = new byte[frame.Length];
                    int written = (FrameType)t switch
                    {
                        FrameType.PathAck or FrameType.PathAckEcn => CheckPathAck(ref r, t, pathId, copy),
                        FrameType.PathNewConnectionId => CheckPathNewConnectionId(ref r, t, pathId, big, copy),
                        FrameType.PathAbandon => Check(ref r, t, PathAbandonFrame.Read, new PathAbandonFrame(pathId, big), copy),
                        FrameType.PathStatusBackup or FrameType.PathStatusAvailable =>
                            Check(ref r, t, PathStatusFrame.Read, new PathStatusFrame(pathId, big, t == 0x3e77), copy),
                        FrameType.PathRetireConnectionId =>
                            Check(ref r, t, PathRetireConnectionIdFrame.Read, new PathRetireConnectionIdFrame(pathId, big), copy),
                        FrameType.MaxPathId => Check(ref r, t, MaxPathIdFrame.Read, new MaxPathIdFrame(pathId), copy),
                        FrameType.PathsBlocked => Check(ref r, t, PathsBlockedFrame.Read, new PathsBlockedFrame(pathId), copy),
                        FrameType.PathCidsBlocked => Check(ref r, t, PathCidsBlockedFrame.Read, new PathCidsBlockedFrame(pathId, big), copy),
                        _ => throw new InvalidOperationException($"unexpected type 0x{t:x}"),
                    };
                    Assert.True(r.IsEmpty);
                    Assert.Equal(frame.Length, written);
                    Assert.Equal(frame, copy);
                }
            }
        }
    }

    private delegate T FrameReader<T>(ref WireReader r, ulong frameType);

    /// <summary>Reads a value-type frame, compares it with <paramref name="expected"/>, re-encodes it into <paramref name="copy"/>.</summary>
    private static int Check<T>(ref WireReader r, ulong t, FrameReader<T> read, T expected, byte[] copy) where T : struct, IWireFrame
    {
        T f = read(ref r, t);
        Assert.Equal(expected, f);
        Assert.Equal(copy.Length, f.EncodedLength);
        return f.Write(copy);
    }

    private static int CheckPathAck(ref WireReader r, ulong t, uint pathId, byte[] copy)
    {
        var f = PathAckFrame.Read(ref r, t);
        Assert.Equal(pathId, f.PathId);
        Assert.Equal(t == 0x3f, f.Ack.Ecn.HasValue);
        Assert.Equal(copy.Length, f.EncodedLength);
        return f.Write(copy);
    }

    private static int CheckPathNewConnectionId(ref WireReader r, ulong t, uint pathId, ulong big, byte[] copy)
    {
        var f = PathNewConnectionIdFrame.Read(ref r, t);
        Assert.Equal(pathId, f.PathId);
        Assert.Equal(big, f.SequenceNumber);
        Assert.Equal(big, f.RetirePriorTo);
        Assert.Equal(20, f.ConnectionId.Length);
        Assert.True(f.StatelessResetToken.SequenceEqual(Token));
        Assert.Equal(copy.Length, f.EncodedLength);
        return f.Write(copy);
    }

    [Fact]
    public void PathAckCarriesTheAckRangesAndEcnCounts()
    {
        AckRange[] ranges = [new(VarInt.Max - 5, VarInt.Max), new(1000, 2000), new(0, 0)];
        var buf = new byte[PathAckFrame.GetEncodedLength(7, ranges, 9, new EcnCounts(4, 5, 6))];
        PathAckFrame.Write(buf, 7, ranges, 9, new EcnCounts(4, 5, 6));
        var r = FrameErrors.CreateReader(buf);
        var f = PathAckFrame.Read(ref r, FrameTypes.ReadType(ref r));
        Assert.Equal(7u, f.PathId);
        Assert.Equal(VarInt.Max, f.Ack.Largest);
        Assert.Equal(0UL, f.Ack.Smallest);
        Assert.Equal(9UL, f.Ack.AckDelay);
        Assert.Equal(new EcnCounts(4, 5, 6), f.Ack.Ecn);
        var copied = new AckRange[4];
        Assert.Equal(3, f.Ack.CopyRanges(copied));
        Assert.Equal(ranges, copied[..3]);

        // The body after the Path Identifier is byte for byte an ACK_ECN frame's body (RFC 9000 §19.3).
        var ack = new byte[AckFrame.GetEncodedLength(ranges, 9, new EcnCounts(4, 5, 6))];
        AckFrame.Write(ack, ranges, 9, new EcnCounts(4, 5, 6));
        Assert.Equal(ack[1..], buf[2..]);
    }

    [Fact]
    public void PathIdAboveTwoTo32IsProtocolViolation()
    {
        // draft §4: a path ID above the announced maximum (at most 2^32-1, §2.1) is a PROTOCOL_VIOLATION.
        string over = "c000000100000000"; // 2^32 as an 8-byte varint
        string[] frames =
        [
            "3e" + over + "00000000",
            "3f" + over + "00000000000000",
            "7e75" + over + "00",
            "7e76" + over + "00",
            "7e77" + over + "00",
            "7e78" + over + "000001aa" + Convert.ToHexString(Token),
            "7e79" + over + "00",
            "7e7a" + over,
            "7e7b" + over,
            "7e7c" + over + "00",
            "7e7a" + "ffffffffffffffff", // 2^62-1
        ];
        foreach (string hex in frames)
        {
            var ex = Assert.Throws<QuicProtocolException>(() => ParseAll(Convert.FromHexString(hex)));
            Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
            Assert.True(FrameTypes.IsMultipath(ex.FrameType), hex);
        }
    }

    [Theory]
    [InlineData("3e00" + "05" + "00" + "00" + "06")]                 // first range 6 > largest 5
    [InlineData("3e00" + "05" + "00" + "01" + "01" + "03" + "00")]   // gap: 4 - 3 - 2 < 0
    [InlineData("3e00" + "0a" + "00" + "01" + "00" + "00" + "09")]   // range: (10 - 0 - 2) - 9 < 0
    [InlineData("3e00" + "0a" + "00" + "01" + "00" + "09" + "00")]   // gap: 10 - 9 - 2 < 0
    [InlineData("3f00" + "0a" + "00" + "05" + "00")]                 // range count beyond the data
    [InlineData("3e00" + "0a" + "00" + "bfffffff" + "00")]           // huge range count
    public void MalformedPathAckRangesAreFrameEncodingErrors(string hex)
    {
        var ex = Assert.Throws<QuicProtocolException>(() => ParseAll(Convert.FromHexString(hex)));
        Assert.Equal(TransportErrorCode.FrameEncodingError, ex.ErrorCode);
        Assert.True(ex.FrameType is 0x3e or 0x3f);
    }

    [Fact]
    public void PathAckRangeThatEndsAtZeroIsValid()
    {
        // The boundaries of the previous theory's underflow cases: (10 - 0 - 2) - 8 = 0 and 10 - 8 - 2 = 0.
        Assert.Equal(1, ParseAll(Convert.FromHexString("3e00" + "0a" + "00" + "01" + "00" + "00" + "08")));
        Assert.Equal(1, ParseAll(Convert.FromHexString("3e00" + "0a" + "00" + "01" + "00" + "08" + "00")));
    }

    [Theory]
    [InlineData("7e78" + "01" + "02" + "03" + "04aabbccdd", "retire_prior_to 3 above sequence 2")]
    [InlineData("7e78" + "01" + "02" + "00" + "00", "zero-length connection ID")]
    [InlineData("7e78" + "01" + "02" + "00" + "15" + "000102030405060708090a0b0c0d0e0f1011121314", "21-byte connection ID")]
    [InlineData("7e78" + "01" + "02" + "00" + "ff", "255-byte connection ID")]
    public void PathNewConnectionIdFieldRules(string hex, string what)
    {
        var ex = Assert.Throws<QuicProtocolException>(() => ParseAll(Convert.FromHexString(hex)));
        Assert.True(TransportErrorCode.FrameEncodingError == ex.ErrorCode, what);
        Assert.Equal((ulong)FrameType.PathNewConnectionId, ex.FrameType);
    }

    [Fact]
    public void PathNewConnectionIdWriterRejectsInvalidFields()
    {
        Assert.Throws<ArgumentException>(() => new PathNewConnectionIdFrame(1, 1, 0, new ConnectionId([1]), new byte[15]));
        var buf = new byte[64];
        Assert.Throws<InvalidOperationException>(() => new PathNewConnectionIdFrame(1, 1, 2, new ConnectionId([1]), Token).Write(buf));
        Assert.Throws<InvalidOperationException>(() => new PathNewConnectionIdFrame(1, 1, 0, new ConnectionId([]), Token).Write(buf));
    }

    [Fact]
    public void TruncatedAtEveryOffsetIsFrameEncodingError()
    {
        // Includes a PATH_NEW_CONNECTION_ID whose reset token is one byte short and PATH_ACK_ECN without its last count.
        int cases = 0;
        foreach (uint pathId in new uint[] { 0, 64, uint.MaxValue })
        {
            foreach (byte[] frame in AllFrames(pathId, VarInt.Max))
            {
                Assert.Equal(1, ParseAll(frame));
                for (int len = 1; len < frame.Length; len++)
                {
                    var ex = Assert.Throws<QuicProtocolException>(() => ParseAll(frame.AsSpan(0, len)));
                    Assert.Equal(TransportErrorCode.FrameEncodingError, ex.ErrorCode);
                    cases++;
                }
            }
        }
        Assert.True(cases > 500);
    }

    [Fact]
    public void NonMinimalFrameTypesAreProtocolViolations()
    {
        // RFC 9000 §12.4 via FrameTypes.ReadType: 0x3e in 2 bytes, 0x3e75 in 4 and 8 bytes.
        foreach (string hex in new[] { "403e", "403f", "80003e75", "c000000000003e7c" })
        {
            var ex = Assert.Throws<QuicProtocolException>(() =>
            {
                var r = FrameErrors.CreateReader(Convert.FromHexString(hex));
                FrameTypes.ReadType(ref r);
            });
            Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        }
    }

    [Fact]
    public void MutatedFramesOnlyThrowFrameEncodingErrorOrProtocolViolation()
    {
        var frames = AllFrames(5, 1000).Concat(AllFrames(uint.MaxValue, VarInt.Max)).ToArray();
        var rng = new Random(20261205);
        var work = new byte[128];
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] frame = frames[rng.Next(frames.Length)];
            frame.CopyTo(work, 0);
            int len = frame.Length;
            for (int m = rng.Next(1, 4); m > 0 && len > 0; m--)
            {
                switch (rng.Next(4))
                {
                    case 0: work[rng.Next(len)] = (byte)rng.Next(256); break;
                    case 1: work[rng.Next(len)] ^= (byte)(1 << rng.Next(8)); break;
                    case 2: len = rng.Next(len + 1); break;
                    default: work[rng.Next(len)] = (byte)(0xC0 | rng.Next(64)); break; // 8-byte varints
                }
            }
            try
            {
                ParseAll(work.AsSpan(0, len));
                parsed++;
            }
            catch (QuicProtocolException e)
            {
                Assert.True(e.ErrorCode is TransportErrorCode.FrameEncodingError or TransportErrorCode.ProtocolViolation, e.Message);
            }
        }
        Assert.True(parsed > 1000, $"only {parsed} mutated inputs parsed");
    }

    [Fact]
    public void TypeClassification()
    {
        ulong[] multipath = [0x3e, 0x3f, 0x3e75, 0x3e76, 0x3e77, 0x3e78, 0x3e79, 0x3e7a, 0x3e7b, 0x3e7c];
        foreach (ulong t in multipath)
        {
            Assert.True(FrameTypes.IsMultipath(t));
            // Without negotiation they stay unknown (RFC 9000 §12.4: FRAME_ENCODING_ERROR) and nowhere allowed.
            Assert.False(FrameTypes.IsKnown(t));
            foreach (PacketType pt in Enum.GetValues<PacketType>())
            {
                Assert.False(FrameRules.IsAllowed(t, pt));
                Assert.False(FrameRules.IsAllowed(t, pt, multipath: false));
                // draft §4: 1-RTT only once negotiated.
                Assert.Equal(pt == PacketType.OneRtt, FrameRules.IsAllowed(t, pt, multipath: true));
            }
            bool isPathAck = t is 0x3e or 0x3f;
            Assert.Equal(!isPathAck, FrameRules.IsAckEliciting(t));
            Assert.Equal(!isPathAck, FrameRules.CountsInFlight(t));
            Assert.False(FrameRules.IsProbing(t));
        }
        foreach (ulong t in new ulong[] { 0x3d, 0x40, 0x3e74, 0x3e7d, 0x15228c00 }) Assert.False(FrameTypes.IsMultipath(t));
        // The multipath overload leaves RFC 9000 frames as they were.
        for (ulong t = 0; t <= 0x1e; t++)
            foreach (PacketType pt in Enum.GetValues<PacketType>())
                Assert.Equal(FrameRules.IsAllowed(t, pt), FrameRules.IsAllowed(t, pt, multipath: true));
    }

    [Fact]
    public void PathAbandonErrorCodesAreTheDraftsValues()
    {
        // draft §4.2.1 / §6 (transport error code registry).
        Assert.Equal(0x3eUL, (ulong)TransportErrorCode.ApplicationAbandonPath);
        Assert.Equal(0x3e75UL, (ulong)TransportErrorCode.PathResourceLimitReached);
        Assert.Equal(0x3e76UL, (ulong)TransportErrorCode.PathUnstableOrPoor);
        Assert.Equal(0x3e77UL, (ulong)TransportErrorCode.NoCidAvailableForPath);
    }

    [Fact]
    public void PathIdLimitHelpers()
    {
        MultipathFrames.CheckPathIdLimit(3, 3, 0x3e);
        var ex = Assert.Throws<QuicProtocolException>(() => MultipathFrames.CheckPathIdLimit(4, 3, 0x3e78));
        Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        Assert.Equal(0x3e78UL, ex.FrameType);

        MultipathFrames.CheckMaxPathIdNotBelowInitial(5, 5);
        ex = Assert.Throws<QuicProtocolException>(() => MultipathFrames.CheckMaxPathIdNotBelowInitial(4, 5));
        Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        Assert.Equal((ulong)FrameType.MaxPathId, ex.FrameType);
    }

    [Fact]
    public void ReadingAndWritingDoesNotAllocate()
    {
        var buf = new byte[256];
        AckRange[] ranges = [new(90, 100), new(50, 80), new(0, 10)];
        var cid = new ConnectionId([1, 2, 3, 4]);
        byte[] token = Token;
        void Once()
        {
            int p = PathAckFrame.Write(buf, 2, ranges, 25, new EcnCounts(1, 2, 3));
            p += new PathNewConnectionIdFrame(2, 3, 1, cid, token).Write(buf.AsSpan(p));
            p += new PathAbandonFrame(2, 0).Write(buf.AsSpan(p));
            p += new PathStatusFrame(2, 1, true).Write(buf.AsSpan(p));
            p += new MaxPathIdFrame(9).Write(buf.AsSpan(p));
            var r = FrameErrors.CreateReader(buf.AsSpan(0, p));
            ulong sum = 0;
            while (!r.IsEmpty)
            {
                ulong t = FrameTypes.ReadType(ref r);
                switch ((FrameType)t)
                {
                    case FrameType.PathAckEcn:
                        foreach (var range in PathAckFrame.Read(ref r, t).Ack.GetRanges()) sum += range.Largest;
                        break;
                    case FrameType.PathNewConnectionId: sum += PathNewConnectionIdFrame.Read(ref r, t).SequenceNumber; break;
                    case FrameType.PathAbandon: sum += PathAbandonFrame.Read(ref r, t).PathId; break;
                    case FrameType.PathStatusAvailable: sum += PathStatusFrame.Read(ref r, t).SequenceNumber; break;
                    case FrameType.MaxPathId: sum += MaxPathIdFrame.Read(ref r, t).MaximumPathId; break;
                    default: throw FrameTypes.UnknownType(t);
                }
            }
            Assert.True(sum > 0);
        }
        AllocationAssert.NoAllocationPerCall(_ => Once(), warmup: 50, iterations: 2000);
    }
}
