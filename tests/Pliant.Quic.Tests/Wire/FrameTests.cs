using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class FrameTests
{
    private static ulong RandVar(Random rng)
    {
        // Spread over all four varint sizes.
        return rng.Next(4) switch
        {
            0 => (ulong)rng.Next(0, 64),
            1 => (ulong)rng.Next(0, 16384),
            2 => (ulong)rng.Next(0, 1 << 30),
            _ => (ulong)rng.NextInt64(0, long.MaxValue) & VarInt.Max,
        };
    }

    private static WireReader ReaderAfterType(byte[] buf, int length, out ulong type)
    {
        var r = FrameErrors.CreateReader(buf.AsSpan(0, length));
        type = r.ReadVarInt();
        return r;
    }

    [Fact]
    public void SimpleFramesRoundTrip()
    {
        var rng = new Random(1);
        var buf = new byte[256];
        for (int i = 0; i < 500; i++)
        {
            var rs = new ResetStreamFrame(RandVar(rng), RandVar(rng), RandVar(rng));
            int n = rs.Write(buf);
            Assert.Equal(rs.EncodedLength, n);
            var r = ReaderAfterType(buf, n, out ulong t);
            Assert.Equal((ulong)FrameType.ResetStream, t);
            Assert.Equal(rs, ResetStreamFrame.Read(ref r, t));
            Assert.True(r.IsEmpty);

            var ss = new StopSendingFrame(RandVar(rng), RandVar(rng));
            n = ss.Write(buf);
            Assert.Equal(ss.EncodedLength, n);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(ss, StopSendingFrame.Read(ref r, t));

            var md = new MaxDataFrame(RandVar(rng));
            n = md.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(md, MaxDataFrame.Read(ref r, t));
            Assert.Equal(md.EncodedLength, n);

            var msd = new MaxStreamDataFrame(RandVar(rng), RandVar(rng));
            n = msd.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(msd, MaxStreamDataFrame.Read(ref r, t));
            Assert.Equal(msd.EncodedLength, n);

            var ms = new MaxStreamsFrame(rng.Next(2) == 0, RandVar(rng) % (MaxStreamsFrame.MaxCount + 1));
            n = ms.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(ms, MaxStreamsFrame.Read(ref r, t));
            Assert.Equal(ms.EncodedLength, n);

            var db = new DataBlockedFrame(RandVar(rng));
            n = db.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(db, DataBlockedFrame.Read(ref r, t));

            var sdb = new StreamDataBlockedFrame(RandVar(rng), RandVar(rng));
            n = sdb.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(sdb, StreamDataBlockedFrame.Read(ref r, t));
            Assert.Equal(sdb.EncodedLength, n);

            var sb = new StreamsBlockedFrame(rng.Next(2) == 0, RandVar(rng) % (MaxStreamsFrame.MaxCount + 1));
            n = sb.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(sb, StreamsBlockedFrame.Read(ref r, t));

            var rc = new RetireConnectionIdFrame(RandVar(rng));
            n = rc.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal(rc, RetireConnectionIdFrame.Read(ref r, t));

            var pc = new PathChallengeFrame((ulong)rng.NextInt64());
            n = pc.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal((ulong)FrameType.PathChallenge, t);
            Assert.Equal(pc, PathChallengeFrame.Read(ref r, t));

            var pr = new PathResponseFrame((ulong)rng.NextInt64());
            n = pr.Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.Equal((ulong)FrameType.PathResponse, t);
            Assert.Equal(pr, PathResponseFrame.Read(ref r, t));
        }
    }

    [Fact]
    public void PaddingPingHandshakeDone()
    {
        var buf = new byte[16];
        buf.AsSpan().Fill(0xFF);
        Assert.Equal(5, new PaddingFrame(5).Write(buf));
        buf[5] = 0x01;
        var r = FrameErrors.CreateReader(buf.AsSpan(0, 7));
        ulong t = r.ReadVarInt();
        Assert.Equal(5, PaddingFrame.Read(ref r, t).Length);
        t = r.ReadVarInt();
        Assert.Equal((ulong)FrameType.Ping, t);
        PingFrame.Read(ref r, t);
        Assert.Equal(1, new HandshakeDoneFrame().Write(buf));
        Assert.Equal(0x1e, buf[0]);
        Assert.Equal(1, new PingFrame().Write(buf));
        Assert.Equal(0x01, buf[0]);
    }

    [Fact]
    public void StreamFramesRoundTripAllTypeBits()
    {
        var rng = new Random(2);
        var buf = new byte[2048];
        for (int i = 0; i < 1000; i++)
        {
            var data = new byte[rng.Next(0, 300)];
            rng.NextBytes(data);
            ulong id = RandVar(rng);
            ulong off = rng.Next(3) == 0 ? 0 : RandVar(rng) / 2;
            bool fin = rng.Next(2) == 0, withLen = rng.Next(2) == 0;
            int n = StreamFrame.Write(buf, id, off, data, fin, withLen);
            Assert.Equal(StreamFrame.HeaderLength(id, off, data.Length, withLen) + data.Length, n);
            Assert.Equal((fin ? 1 : 0) | (withLen ? 2 : 0) | (off != 0 ? 4 : 0), buf[0] & 7);
            var r = ReaderAfterType(buf, n, out ulong t);
            Assert.True(FrameTypes.IsStream(t));
            var f = StreamFrame.Read(ref r, t);
            Assert.True(r.IsEmpty);
            Assert.Equal(id, f.StreamId);
            Assert.Equal(off, f.Offset);
            Assert.Equal(fin, f.Fin);
            Assert.Equal(withLen, f.HasLength);
            Assert.True(f.Data.SequenceEqual(data));
            Assert.Equal(n, f.EncodedLength);
        }
    }

    [Fact]
    public void MaxDataThatFitsIsTight()
    {
        for (int space = 0; space < 20_000; space += 7)
        {
            foreach (bool withLen in new[] { true, false })
            {
                int m = StreamFrame.MaxDataThatFits(space, 4, 1000, withLen);
                if (m > 0)
                {
                    Assert.True(StreamFrame.HeaderLength(4, 1000, m, withLen) + m <= space);
                    Assert.True(StreamFrame.HeaderLength(4, 1000, m + 1, withLen) + m + 1 > space);
                }
            }
            int c = CryptoFrame.MaxDataThatFits(space, 70000);
            if (c > 0)
            {
                Assert.True(CryptoFrame.HeaderLength(70000, c) + c <= space);
                Assert.True(CryptoFrame.HeaderLength(70000, c + 1) + c + 1 > space);
            }
        }
    }

    [Fact]
    public void CryptoNewTokenDatagramRoundTrip()
    {
        var rng = new Random(3);
        var buf = new byte[2048];
        for (int i = 0; i < 300; i++)
        {
            var data = new byte[rng.Next(1, 500)];
            rng.NextBytes(data);
            ulong off = RandVar(rng) / 2;
            int n = CryptoFrame.Write(buf, off, data);
            var r = ReaderAfterType(buf, n, out ulong t);
            var c = CryptoFrame.Read(ref r, t);
            Assert.Equal(off, c.Offset);
            Assert.True(c.Data.SequenceEqual(data));
            Assert.Equal(n, c.EncodedLength);

            n = new NewTokenFrame(data).Write(buf);
            r = ReaderAfterType(buf, n, out t);
            Assert.True(NewTokenFrame.Read(ref r, t).Token.SequenceEqual(data));

            bool withLen = rng.Next(2) == 0;
            n = DatagramFrame.Write(buf, data, withLen);
            Assert.Equal(DatagramFrame.HeaderLength(data.Length, withLen) + data.Length, n);
            r = ReaderAfterType(buf, n, out t);
            Assert.True(FrameType.IsKnown(t));
            var d = DatagramFrame.Read(ref r, t);
            Assert.True(d.Data.SequenceEqual(data));
            Assert.Equal(withLen, d.HasLength);
        }
    }

    [Fact]
    public void NewConnectionIdAndCloseRoundTrip()
    {
        var rng = new Random(4);
        var buf = new byte[2048];
        var token = new byte[16];
        for (int i = 0; i < 300; i++)
        {
            rng.NextBytes(token);
            ulong seq = RandVar(rng);
            ulong retire = seq == 0 ? 0 : (ulong)rng.NextInt64(0, (long)Math.Min(seq, long.MaxValue));
            var cid = ConnectionId.Random(rng.Next(1, 21), rng);
            var f = new NewConnectionIdFrame(seq, retire, cid, token);
            int n = f.Write(buf);
            Assert.Equal(f.EncodedLength, n);
            var r = ReaderAfterType(buf, n, out ulong t);
            var g = NewConnectionIdFrame.Read(ref r, t);
            Assert.Equal(seq, g.SequenceNumber);
            Assert.Equal(retire, g.RetirePriorTo);
            Assert.Equal(cid, g.ConnectionId);
            Assert.True(g.StatelessResetToken.SequenceEqual(token));

            bool app = rng.Next(2) == 0;
            var reason = new byte[rng.Next(0, 40)];
            rng.NextBytes(reason);
            var cc = new ConnectionCloseFrame(app, RandVar(rng), app ? 0 : RandVar(rng), reason);
            n = cc.Write(buf);
            Assert.Equal(cc.EncodedLength, n);
            r = ReaderAfterType(buf, n, out t);
            var dd = ConnectionCloseFrame.Read(ref r, t);
            Assert.Equal(app, dd.IsApplication);
            Assert.Equal(cc.ErrorCode, dd.ErrorCode);
            Assert.Equal(cc.FrameType, dd.FrameType);
            Assert.True(dd.ReasonPhrase.SequenceEqual(reason));
            Assert.NotNull(dd.ReasonString);
        }
    }

    [Fact]
    public void ConnectionCloseReasonDecodesWithReplacement()
    {
        var buf = new byte[32];
        int n = new ConnectionCloseFrame(false, 0x0a, 0x08, [0x68, 0x69, 0xFF]).Write(buf);
        Assert.Equal("1c0a080368 69ff".Replace(" ", "", StringComparison.Ordinal), Convert.ToHexString(buf, 0, n).ToLowerInvariant());
        var r = ReaderAfterType(buf, n, out ulong t);
        Assert.Equal("hi\uFFFD", ConnectionCloseFrame.Read(ref r, t).ReasonString);
    }

    [Fact]
    public void KnownEncodings()
    {
        var buf = new byte[64];
        // MAX_DATA 16384 → 0x10 0x80004000.
        int n = new MaxDataFrame(16384).Write(buf);
        Assert.Equal("1080004000", Convert.ToHexString(buf, 0, n).ToLowerInvariant());
        // STREAM id 4, offset 0, "abc", FIN, with length → 0x0b 04 03 616263.
        n = StreamFrame.Write(buf, 4, 0, "abc"u8, true, true);
        Assert.Equal("0b0403616263", Convert.ToHexString(buf, 0, n).ToLowerInvariant());
        // CRYPTO offset 0 len 2.
        n = CryptoFrame.Write(buf, 0, [0xAB, 0xCD]);
        Assert.Equal("060002abcd", Convert.ToHexString(buf, 0, n).ToLowerInvariant());
        // ACK largest 10, delay 3, ranges [8..10] and [2..5] → 02 0a 03 01 02 gap=(8-5-2)=1 len=3.
        n = AckFrame.Write(buf, [new AckRange(8, 10), new AckRange(2, 5)], 3, null);
        Assert.Equal("020a0301020103", Convert.ToHexString(buf, 0, n).ToLowerInvariant());
        // RESET_STREAM 1, code 2, final 3.
        n = new ResetStreamFrame(1, 2, 3).Write(buf);
        Assert.Equal("04010203", Convert.ToHexString(buf, 0, n).ToLowerInvariant());
    }

    [Fact]
    public void AckRoundTripsAndEnumerates()
    {
        var rng = new Random(5);
        var buf = new byte[8192];
        var ranges = new List<AckRange>();
        Span<AckRange> copy = new AckRange[600];
        for (int i = 0; i < 500; i++)
        {
            ranges.Clear();
            ulong largest = (ulong)rng.NextInt64(0, 1L << 50);
            int count = rng.Next(1, 300);
            ulong cur = largest;
            for (int k = 0; k < count; k++)
            {
                ulong len = (ulong)rng.Next(0, 1000);
                if (len > cur) len = cur;
                ranges.Add(new AckRange(cur - len, cur));
                ulong next = cur - len;
                ulong gap = (ulong)rng.Next(2, 5000);
                if (next < gap) break;
                cur = next - gap;
            }
            EcnCounts? ecn = rng.Next(2) == 0 ? null : new EcnCounts(RandVar(rng), RandVar(rng), RandVar(rng));
            ulong delay = RandVar(rng);
            int n = AckFrame.Write(buf, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ranges), delay, ecn);
            Assert.Equal(AckFrame.GetEncodedLength(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ranges), delay, ecn), n);
            var r = ReaderAfterType(buf, n, out ulong t);
            var ack = AckFrame.Read(ref r, t);
            Assert.True(r.IsEmpty);
            Assert.Equal(largest, ack.Largest);
            Assert.Equal(delay, ack.AckDelay);
            Assert.Equal(ecn, ack.Ecn);
            Assert.Equal(ranges.Count - 1, ack.RangeCount);
            Assert.Equal(ranges[^1].Smallest, ack.Smallest);
            int idx = 0;
            foreach (var range in ack.GetRanges()) Assert.Equal(ranges[idx++], range);
            Assert.Equal(ranges.Count, idx);
            Assert.Equal(ranges.Count, ack.CopyRanges(copy));
            Assert.Equal(n, ack.EncodedLength);
            var again = new byte[n];
            Assert.Equal(n, ack.Write(again));
            Assert.True(again.AsSpan().SequenceEqual(buf.AsSpan(0, n)));
        }
    }

    [Theory]
    [InlineData("0205000206")]        // first range 6 > largest 5
    [InlineData("020500010200")]      // smallest 3, gap 2 → largest would be -1
    [InlineData("02050001000004")]    // smallest 5, gap 0 → largest 3, range 4 → -1
    [InlineData("0205000000")]        // missing ranges? no: count 0 ok → see below
    public void AckValidation(string hex)
    {
        byte[] b = Convert.FromHexString(hex);
        if (hex == "0205000000")
        {
            var ok = ReaderAfterType(b, b.Length, out ulong t0);
            Assert.Equal(5UL, AckFrame.Read(ref ok, t0).Smallest);
            return;
        }
        var ex = Assert.Throws<QuicProtocolException>(() =>
        {
            var r = ReaderAfterType(b, b.Length, out ulong t);
            AckFrame.Read(ref r, t);
        });
        Assert.Equal(TransportErrorCode.FrameEncodingError, ex.ErrorCode);
    }

    [Fact]
    public void SemanticViolationsAreFrameEncodingErrors()
    {
        AssertEncodingError("180102" + "08" + "0102030405060708" + "00112233445566778899aabbccddeeff"); // retire 2 > seq 1
        AssertEncodingError("180100" + "00" + "00112233445566778899aabbccddeeff");                    // cid length 0
        AssertEncodingError("180100" + "15" + new string('a', 42) + "00112233445566778899aabbccddeeff"); // length 21
        AssertEncodingError("0f00" + "ffffffffffffffff" + "01" + "00");   // stream offset 2^62-1 + 1 byte
        AssertEncodingError("12" + "d000000000000001");                   // MAX_STREAMS 2^60+1
        AssertEncodingError("17" + "d000000000000001");                   // STREAMS_BLOCKED 2^60+1
        AssertEncodingError("0700");                                      // empty NEW_TOKEN
        AssertEncodingError("06" + "ffffffffffffffff" + "01" + "00");     // CRYPTO beyond 2^62-1
    }

    private static void AssertEncodingError(string hex)
    {
        byte[] b = Convert.FromHexString(hex);
        var ex = Assert.Throws<QuicProtocolException>(() => FrameFuzzTests.ParseAll(b));
        Assert.Equal(TransportErrorCode.FrameEncodingError, ex.ErrorCode);
    }

    [Fact]
    public void FrameRulesTable()
    {
        foreach (var pt in new[] { PacketType.Initial, PacketType.Handshake })
        {
            foreach (ulong t in new ulong[] { 0x00, 0x01, 0x02, 0x03, 0x06, 0x1c }) Assert.True(FrameRules.IsAllowed(t, pt));
            foreach (ulong t in new ulong[] { 0x04, 0x07, 0x08, 0x0f, 0x10, 0x18, 0x1a, 0x1b, 0x1d, 0x1e, 0x30 }) Assert.False(FrameRules.IsAllowed(t, pt));
        }
        foreach (ulong t in new ulong[] { 0x02, 0x03, 0x06, 0x07, 0x19, 0x1b, 0x1e }) Assert.False(FrameRules.IsAllowed(t, PacketType.ZeroRtt));
        foreach (ulong t in new ulong[] { 0x00, 0x01, 0x04, 0x05, 0x08, 0x0f, 0x10, 0x18, 0x1a, 0x1c, 0x1d, 0x30, 0x31 }) Assert.True(FrameRules.IsAllowed(t, PacketType.ZeroRtt));
        for (ulong t = 0; t <= 0x1e; t++) Assert.True(FrameRules.IsAllowed(t, PacketType.OneRtt));
        Assert.True(FrameRules.IsAllowed(0x30, PacketType.OneRtt));
        Assert.False(FrameRules.IsAllowed(0x1f, PacketType.OneRtt));
        Assert.False(FrameType.IsKnown(0x1f));
        Assert.False(FrameRules.IsAckEliciting(0x02));
        Assert.True(FrameRules.IsAckEliciting(0x01));
    }
}

public class FrameTypeReadTests
{
    [Fact]
    public void AckDelayScaling()
    {
        var buf = new byte[32];
        ulong enc = AckFrame.EncodeAckDelay(25_000, 3);
        Assert.Equal(3125UL, enc);
        int n = AckFrame.Write(buf, [new AckRange(0, 0)], enc, null);
        var r = FrameErrors.CreateReader(buf.AsSpan(0, n));
        ulong t = r.ReadVarInt();
        Assert.Equal(25_000L, AckFrame.Read(ref r, t).GetAckDelayMicroseconds(3));
        n = AckFrame.Write(buf, [new AckRange(0, 0)], VarInt.Max, null);
        r = FrameErrors.CreateReader(buf.AsSpan(0, n));
        t = r.ReadVarInt();
        Assert.Equal(long.MaxValue, AckFrame.Read(ref r, t).GetAckDelayMicroseconds(20));
    }

    [Fact]
    public void NonMinimalFrameTypeIsProtocolViolation()
    {
        var ex = Assert.Throws<QuicProtocolException>(() =>
        {
            var r = FrameErrors.CreateReader([0x40, 0x01]);
            FrameTypes.ReadType(ref r);
        });
        Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        var ok = FrameErrors.CreateReader([0x1e]);
        Assert.Equal(0x1eUL, FrameTypes.ReadType(ref ok));
        Assert.Equal(TransportErrorCode.FrameEncodingError, FrameTypes.UnknownType(0x21).ErrorCode);
    }
}
