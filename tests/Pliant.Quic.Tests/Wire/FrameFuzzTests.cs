using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Wire;

public class FrameFuzzTests
{
    /// <summary>Parses every frame in a payload the way a connection would; returns the frame count.</summary>
    internal static int ParseAll(ReadOnlySpan<byte> payload)
    {
        var r = FrameErrors.CreateReader(payload);
        int count = 0;
        while (!r.IsEmpty)
        {
            ulong t = r.ReadVarInt();
            count++;
            switch (t)
            {
                case 0x00: PaddingFrame.Read(ref r, t); break;
                case 0x01: PingFrame.Read(ref r, t); break;
                case 0x02 or 0x03:
                    var ack = AckFrame.Read(ref r, t);
                    foreach (var range in ack.GetRanges()) Assert.True(range.Smallest <= range.Largest);
                    break;
                case 0x04: ResetStreamFrame.Read(ref r, t); break;
                case 0x05: StopSendingFrame.Read(ref r, t); break;
                case 0x06: CryptoFrame.Read(ref r, t); break;
                case 0x07: NewTokenFrame.Read(ref r, t); break;
                case >= 0x08 and <= 0x0f: StreamFrame.Read(ref r, t); break;
                case 0x10: MaxDataFrame.Read(ref r, t); break;
                case 0x11: MaxStreamDataFrame.Read(ref r, t); break;
                case 0x12 or 0x13: MaxStreamsFrame.Read(ref r, t); break;
                case 0x14: DataBlockedFrame.Read(ref r, t); break;
                case 0x15: StreamDataBlockedFrame.Read(ref r, t); break;
                case 0x16 or 0x17: StreamsBlockedFrame.Read(ref r, t); break;
                case 0x18: NewConnectionIdFrame.Read(ref r, t); break;
                case 0x19: RetireConnectionIdFrame.Read(ref r, t); break;
                case 0x1a: PathChallengeFrame.Read(ref r, t); break;
                case 0x1b: PathResponseFrame.Read(ref r, t); break;
                case 0x1c or 0x1d: _ = ConnectionCloseFrame.Read(ref r, t).ReasonString; break;
                case 0x1e: HandshakeDoneFrame.Read(ref r, t); break;
                case 0x30 or 0x31: DatagramFrame.Read(ref r, t); break;
                default:
                    Assert.False(FrameTypes.IsKnown(t));
                    throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "unknown frame", t);
            }
        }
        return count;
    }

    private static byte[] SamplePayload()
    {
        var buf = new byte[1200];
        int p = 0;
        p += new PaddingFrame(3).Write(buf.AsSpan(p));
        p += new PingFrame().Write(buf.AsSpan(p));
        p += AckFrame.Write(buf.AsSpan(p), [new AckRange(90, 100), new AckRange(50, 80), new AckRange(0, 10)], 25, new EcnCounts(1, 2, 3));
        p += new ResetStreamFrame(4, 5, 6).Write(buf.AsSpan(p));
        p += new StopSendingFrame(8, 9).Write(buf.AsSpan(p));
        p += CryptoFrame.Write(buf.AsSpan(p), 1000, [1, 2, 3, 4]);
        p += new NewTokenFrame([7, 7, 7]).Write(buf.AsSpan(p));
        p += StreamFrame.Write(buf.AsSpan(p), 4, 77, [1, 2, 3], false, true);
        p += new MaxDataFrame(100000).Write(buf.AsSpan(p));
        p += new MaxStreamDataFrame(4, 100000).Write(buf.AsSpan(p));
        p += new MaxStreamsFrame(true, 100).Write(buf.AsSpan(p));
        p += new DataBlockedFrame(5).Write(buf.AsSpan(p));
        p += new StreamDataBlockedFrame(4, 5).Write(buf.AsSpan(p));
        p += new StreamsBlockedFrame(false, 5).Write(buf.AsSpan(p));
        p += new NewConnectionIdFrame(3, 1, new ConnectionId([1, 2, 3, 4]), new byte[16]).Write(buf.AsSpan(p));
        p += new RetireConnectionIdFrame(1).Write(buf.AsSpan(p));
        p += new PathChallengeFrame(0x1122334455667788).Write(buf.AsSpan(p));
        p += new PathResponseFrame(0x1122334455667788).Write(buf.AsSpan(p));
        p += new HandshakeDoneFrame().Write(buf.AsSpan(p));
        p += DatagramFrame.Write(buf.AsSpan(p), [9, 9], true);
        p += new ConnectionCloseFrame(false, 7, 6, "bye"u8).Write(buf.AsSpan(p));
        p += StreamFrame.Write(buf.AsSpan(p), 8, 0, [5, 5, 5, 5], true, false);
        return buf.AsSpan(0, p).ToArray();
    }

    [Fact]
    public void SamplePayloadParses()
    {
        Assert.Equal(22, ParseAll(SamplePayload()));
    }

    [Fact]
    public void TruncatedPayloadsFailWithFrameEncodingError()
    {
        byte[] payload = SamplePayload();
        for (int len = 0; len < payload.Length; len++)
        {
            try { ParseAll(payload.AsSpan(0, len)); }
            catch (QuicProtocolException e) { Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode); }
        }
    }

    [Fact]
    public void MutatedPayloadsOnlyThrowFrameEncodingError()
    {
        byte[] payload = SamplePayload();
        var rng = new Random(20261122);
        var work = new byte[payload.Length + 16];
        for (int i = 0; i < 20_000; i++)
        {
            payload.CopyTo(work, 0);
            int len = payload.Length;
            int mutations = rng.Next(1, 6);
            for (int m = 0; m < mutations; m++)
            {
                switch (rng.Next(4))
                {
                    case 0: work[rng.Next(len)] = (byte)rng.Next(256); break;
                    case 1: work[rng.Next(len)] ^= (byte)(1 << rng.Next(8)); break;
                    case 2: len = rng.Next(len + 1); break;
                    default: work[rng.Next(len)] = (byte)(0xC0 | rng.Next(64)); break; // 8-byte varints
                }
                if (len == 0) break;
            }
            try { ParseAll(work.AsSpan(0, len)); }
            catch (QuicProtocolException e) { Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode); }
        }
    }

    [Fact]
    public void RandomBytesOnlyThrowFrameEncodingError()
    {
        var rng = new Random(99);
        var buf = new byte[128];
        for (int i = 0; i < 20_000; i++)
        {
            rng.NextBytes(buf);
            // Bias the first byte to known frame types.
            buf[0] = (byte)rng.Next(0, 0x20);
            try { ParseAll(buf.AsSpan(0, rng.Next(buf.Length))); }
            catch (QuicProtocolException e) { Assert.Equal(TransportErrorCode.FrameEncodingError, e.ErrorCode); }
        }
    }
}

public class FrameAllocationTests
{
    [Fact]
    public void ReadingAndWritingFramesDoesNotAllocate()
    {
        var buf = new byte[512];
        var ranges = new AckRange[] { new(90, 100), new(50, 80), new(0, 10) };
        var token = new byte[16];
        var cid = new ConnectionId([1, 2, 3, 4]);
        void Once()
        {
            int p = 0;
            p += AckFrame.Write(buf.AsSpan(p), ranges, 25, new EcnCounts(1, 2, 3));
            p += StreamFrame.Write(buf.AsSpan(p), 4, 77, token, false, true);
            p += CryptoFrame.Write(buf.AsSpan(p), 5, token);
            p += new NewConnectionIdFrame(3, 1, cid, token).Write(buf.AsSpan(p));
            p += new ConnectionCloseFrame(true, 7, 0, token).Write(buf.AsSpan(p));
            p += new MaxStreamDataFrame(4, 1000).Write(buf.AsSpan(p));
            p += new PaddingFrame(10).Write(buf.AsSpan(p));
            var r = FrameErrors.CreateReader(buf.AsSpan(0, p));
            ulong sum = 0;
            while (!r.IsEmpty)
            {
                ulong t = FrameTypes.ReadType(ref r);
                switch (t)
                {
                    case 0x03:
                        foreach (var range in AckFrame.Read(ref r, t).GetRanges()) sum += range.Largest;
                        break;
                    case 0x0e: sum += (ulong)StreamFrame.Read(ref r, t).Data.Length; break;
                    case 0x06: sum += CryptoFrame.Read(ref r, t).Offset; break;
                    case 0x18: sum += NewConnectionIdFrame.Read(ref r, t).SequenceNumber; break;
                    case 0x1d: sum += ConnectionCloseFrame.Read(ref r, t).ErrorCode; break;
                    case 0x11: sum += MaxStreamDataFrame.Read(ref r, t).Maximum; break;
                    case 0x00: sum += (ulong)PaddingFrame.Read(ref r, t).Length; break;
                    default: throw FrameTypes.UnknownType(t);
                }
            }
            Assert.True(sum > 0);
        }
        AllocationAssert.NoAllocationPerCall(_ => Once(), warmup: 50, iterations: 2000);
    }
}
