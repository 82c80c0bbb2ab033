using System.Diagnostics;
using System.Net;
using Pliant.Net.Udp;
using Pliant.Quic.Connection;

namespace Pliant.Net.Tests.Udp;

internal readonly record struct Received(byte[] Data, IPEndPoint From, EcnCodepoint Ecn, int EntrySegmentSize);

internal static class UdpTestHelpers
{
    /// <summary>Receives until <paramref name="count"/> datagrams arrived (GRO split) or 10 s passed.</summary>
    public static List<Received> ReceiveDatagrams(IUdpTransport socket, int count)
    {
        var result = new List<Received>();
        var batch = socket.CreateReceiveBatch();
        var sw = Stopwatch.StartNew();
        while (result.Count < count && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            int n = socket.ReceiveBatch(batch, 500);
            for (int i = 0; i < n; i++)
            {
                for (int s = 0; s < batch.SegmentCount(i); s++)
                    result.Add(new Received(batch.GetSegment(i, s).ToArray(), batch[i].From, batch[i].Ecn, batch[i].SegmentSize));
            }
        }
        return result;
    }

    /// <summary>A payload of <paramref name="segments"/> segments, each filled with its index.</summary>
    public static byte[] SegmentedPayload(int segmentSize, int segments, int lastLength)
    {
        var data = new byte[segmentSize * (segments - 1) + lastLength];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i / segmentSize + 1);
        return data;
    }

    public static void AssertSegments(List<Received> got, int segmentSize, int segments, int lastLength)
    {
        Assert.Equal(segments, got.Count);
        for (int i = 0; i < segments; i++)
        {
            int expectedLength = i == segments - 1 ? lastLength : segmentSize;
            Assert.Equal(expectedLength, got[i].Data.Length);
            Assert.All(got[i].Data, b => Assert.Equal((byte)(i + 1), b));
        }
    }
}
