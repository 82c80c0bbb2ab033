using System.Net;
using Pliant.Net.Internal;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// Parking of idle drivers (issue 17, <see cref="QuicListenerOptions.ParkIdleDrivers"/>): a driver whose load fits on
/// the first driver's thread hands it its socket; its connections are then served there, still by its own endpoint
/// (steering unchanged); it takes its thread back when the first one is busy; stopping never hangs on a parked driver.
/// </summary>
public class DriverParkingTests
{
    private static readonly TimeSpan ParkWait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AnIdleDriverParksAndItsConnectionsAreServedOnTheFirstDriversThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var listener = await ListenAsync();
        var parking = listener.Parking!;
        parking.UnparkAboveLoad = double.PositiveInfinity; // stay parked through the handshakes below
        await WaitUntil(() => IsParked(listener, 1), "driver 1 never parked");

        await EchoConnections(listener, 16, TimeSpan.Zero);

        Assert.True(IsParked(listener, 1), "driver 1 was handed its thread back");
        // Steering is unchanged: driver 1's connections were its own, served on driver 0's thread.
        EchoServing.AssertSteeredToBothDrivers(listener, 16);
        Assert.Equal((1L, 0L), parking.Counts);
    }

    [Fact]
    public async Task HandOversBackAndForthLoseNothing()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var listener = await ListenAsync();
        var parking = listener.Parking!;
        await WaitUntil(() => IsParked(listener, 1), "driver 1 never parked");
        // Every leader window now hands the driver back, and it parks again a second later: transfers run across
        // hand-overs in both directions.
        parking.UnparkAboveLoad = -1;
        parking.ParkBelowLoad = double.PositiveInfinity;

        await EchoConnections(listener, 24, TimeSpan.FromMilliseconds(150));
        await WaitUntil(() => parking.Counts.Parks >= 2 && parking.Counts.Unparks >= 1, $"hand-overs: {parking.Counts}");

        await EchoConnections(listener, 8, TimeSpan.Zero);
        EchoServing.AssertSteeredToBothDrivers(listener, 32);
    }

    [Fact]
    public async Task StoppingWithAParkedDriverEndsEveryThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        var listener = await ListenAsync();
        await WaitUntil(() => IsParked(listener, 1), "driver 1 never parked");
        var threads = new[] { listener.Driver(0).LoopThread, listener.Driver(1).LoopThread };
        await listener.DisposeAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        foreach (var t in threads) Assert.True(t.Join(QuicTestPair.Timeout), $"{t.Name} still running");
    }

    [Fact]
    public async Task WithParkingOffEveryDriverKeepsItsThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        var options = QuicTestPair.ListenerOptions(fake: false);
        options.Drivers = 2;
        options.ParkIdleDrivers = false;
        await using var listener = await QuicListener.ListenAsync(options);
        Assert.Null(listener.Parking);
        await Task.Delay(1500);
        Assert.False(IsParked(listener, 1));
        await EchoConnections(listener, 4, TimeSpan.Zero);
    }

    private static async Task<QuicListener> ListenAsync()
    {
        var options = QuicTestPair.ListenerOptions(fake: false);
        options.Drivers = 2;
        var listener = await QuicListener.ListenAsync(options);
        Assert.NotNull(listener.Parking);
        return listener;
    }

    private static bool IsParked(QuicListener listener, int index) => listener.Driver(index).IsParked;

    private static async Task WaitUntil(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + ParkWait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }

    /// <summary><paramref name="count"/> connections, each echoing 30 KB on one stream, started <paramref name="spacing"/> apart.</summary>
    private static async Task EchoConnections(QuicListener listener, int count, TimeSpan spacing)
    {
        using var cts = new CancellationTokenSource(QuicTestPair.Timeout * 2);
        var payload = new byte[30_000];
        new Random(11).NextBytes(payload);
        await EchoServing.Exchange(listener, count, payload, cts.Token, spacing);
    }
}
