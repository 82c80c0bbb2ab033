using System.Buffers.Binary;
using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class DatagramTests(ITestOutputHelper output)
{
    private static void Send(PluginInstance p, ReadOnlySpan<byte> message, string export = "send")
    {
        p.WriteMemory((int)p.Call("buffer"), message);
        Assert.Equal(1UL, p.Call(export, (ulong)message.Length));
    }

    [Fact]
    public void UnreliableMessagesArriveInOrderAndLossesAreNotResent()
    {
        var s = new Scenario(1101, p => p.ClientToServer.LossRate = 0.05);
        var host = new PluginHost();
        var module = PluginFiles.Load("datagram");
        var tx = host.Attach(s.Client, module, PluginOrigin.Application);
        var rx = host.Attach(s.Server, module, PluginOrigin.Application);
        var got = new List<int>();
        var msg = new byte[300];
        s.OnStep(() =>
        {
            for (int len; (len = (int)rx.Call("recv")) >= 0;)
            {
                var data = rx.Memory.Slice((int)rx.Call("buffer"), len);
                got.Add(BinaryPrimitives.ReadInt32LittleEndian(data));
            }
        });
        const int count = 400;
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(msg, i);
            Send(tx, msg);
            s.Pair.RunFor(2_000);
        }
        s.Pair.RunFor(1_000_000);
        ulong lost = tx.Call("stats", 3), acked = tx.Call("stats", 2);
        output.WriteLine($"{count} datagrams over 5% loss: {got.Count} delivered, {lost} declared lost, {acked} acked; " +
                         $"link dropped {s.Pair.ClientToServer.Dropped} datagrams");
        Assert.Equal((ulong)count, tx.Call("stats", 0));
        Assert.Equal((ulong)got.Count, rx.Call("stats", 1));
        Assert.InRange(got.Count, count * 85 / 100, count - 1);       // some lost...
        Assert.Equal(got.Order().Distinct(), got);                      // ...none duplicated or resent out of order
        Assert.Equal((ulong)count, (ulong)got.Count + lost);            // every message is delivered or declared lost, exactly once
        Assert.True(tx.IsAttached && rx.IsAttached);
    }

    [Fact]
    public void SendNativeUsesTheCoresRfc9221Frames()
    {
        var s = new Scenario(1102, datagrams: 1200);
        var tx = new PluginHost().Attach(s.Client, PluginFiles.Load("datagram"), PluginOrigin.Application);
        Send(tx, "hello over RFC 9221"u8, "send_native");
        s.Pair.RunFor(100_000);
        var e = Assert.Single(s.ServerEvents, e => e.Kind == ConnectionEventKind.DatagramReceived);
        Assert.Equal("hello over RFC 9221"u8.ToArray(), e.Data);
    }
}
