using System.Net;
using System.Security.Cryptography;
using Pliant.Net;
using Pliant.Plugins.Exchange;
using Pliant.Plugins.Trust;
using Pliant.Quic.Tls;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>
/// Modules received from a peer are loaded (decoded, validated, compiled) on the thread pool, never on
/// the connection's driver thread, and attached on the connection's thread when done; a load failure
/// is a refusal event, not a fault.
/// </summary>
public class BackgroundLoadTests
{
    /// <summary>A loader that blocks until released, recording the thread it ran on.</summary>
    private sealed class GatedLoader : IDisposable
    {
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();
        public bool RanOnThreadPool { get; private set; }
        public Exception? Fail { get; init; }

        public PluginModule Load(byte[] wasm, PluginLimits? limits)
        {
            RanOnThreadPool = Thread.CurrentThread.IsThreadPoolThread;
            Entered.Set();
            if (!Release.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("the test never released the load");
            if (Fail is not null) throw Fail;
            return PluginModule.Load(wasm, limits);
        }

        public void Dispose()
        {
            Release.Set();
            Entered.Dispose();
            Release.Dispose();
        }
    }

    [Fact]
    public void TheLoadRunsOnTheThreadPoolAndTheModuleIsAttachedWhenItEnds()
    {
        var module = TestModules.Observer(padding: 20_000);
        using var gate = new GatedLoader();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module), Loader = gate.Load };
        var pair = new FakeExchangePair(1, new PluginExchangeOptions().AddPush(module), receiver, loadInBackground: true);
        pair.Run(); // the whole transfer: Process never waits for the load
        Assert.True(gate.Entered.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(gate.RanOnThreadPool);
        Assert.Equal(1, pair.Receiver.LoadsInProgress);
        Assert.Empty(pair.ReceiverConnection.Injected);
        Assert.Single(pair.ReceiverConnection.Timers); // the poll
        pair.ReceiverConnection.RunTimers(pair.ReceiverConnection.NowUs + PluginExchange.LoadPollIntervalUs);
        Assert.Empty(pair.ReceiverConnection.Injected); // still loading: polled again later
        gate.Release.Set();
        pair.SettleLoads();
        Assert.Equal(module, Assert.Single(pair.ReceiverConnection.Injected));
        Assert.Contains(pair.ReceiverConnection.Events, e => e.Message.StartsWith("injected test.observer@", StringComparison.Ordinal));
        Assert.Empty(pair.ReceiverConnection.Timers);
        Assert.Equal(0, pair.Receiver.ReassemblyBytes);
    }

    [Fact]
    public void ALoadFailureIsARefusalEvent()
    {
        var module = TestModules.Observer();
        using var gate = new GatedLoader { Fail = new PluginLoadException("module failed to compile: function needs more than the engine's cap of 8192 frame slots") };
        gate.Release.Set();
        var receiver = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module), Loader = gate.Load };
        var pair = new FakeExchangePair(2, new PluginExchangeOptions().AddPush(module), receiver, loadInBackground: true);
        pair.Run();
        pair.SettleLoads();
        Assert.Empty(pair.ReceiverConnection.Injected);
        Assert.Equal("refused: could not load: module failed to compile: function needs more than the engine's cap of 8192 frame slots",
            Assert.Single(pair.ReceiverConnection.Events).Message);
        Assert.False(Assert.Single(pair.Receiver.Outcomes).Injected);
    }

    [Fact]
    public async Task TheConnectionKeepsWorkingWhileAPushedModuleLoads()
    {
        // Over UDP with the real driver: the server pushes a module, the client's load is held. While
        // it is held the connection carries a 200 kB echo; when it ends the plugin runs in the client.
        var module = TestModules.Observer(padding: 20_000);
        using var gate = new GatedLoader();
        var serverExchange = new PluginExchangeOptions().AddPush(module);
        var clientExchange = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module), Loader = gate.Load };
        using var certificate = QuicServerCertificates.CreateSelfSigned("localhost");
        var listenerOptions = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            ApplicationProtocols = ["pliant-test"],
            ServerCertificate = certificate,
        };
        listenerOptions.ConnectionOptions.ExtraTransportParameters = serverExchange.BuildTransportParameters();
        listenerOptions.ConnectionOptions.ConfigureCore = core => PluginExchange.Attach(core, serverExchange);
        var timeout = TimeSpan.FromSeconds(30);
        await using var listener = await QuicListener.ListenAsync(listenerOptions);
        var accept = listener.AcceptConnectionAsync().AsTask();
        await using var client = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
        {
            RemoteEndPoint = listener.LocalEndPoint,
            ServerName = "localhost",
            ApplicationProtocols = ["pliant-test"],
            CertificateValidation = CertificateValidation.Pin(QuicServerCertificates.Sha256(certificate)),
            ExtraTransportParameters = clientExchange.BuildTransportParameters(),
            ConfigureCore = core => PluginExchange.Attach(core, clientExchange),
        }).AsTask().WaitAsync(timeout);
        await using var server = await accept.WaitAsync(timeout);

        // Not a blocking wait here: after the awaits above this test may be running on the endpoint's thread
        // (accept and stream continuations resume there, issue 17), and blocking it would stall the very
        // transfer being waited for.
        Assert.True(await Task.Run(() => gate.Entered.Wait(timeout)), "the pushed module never reached its load");
        Assert.True(gate.RanOnThreadPool);
        var echo = Task.Run(async () =>
        {
            await using var s = await server.AcceptInboundStreamAsync();
            await s.CopyToAsync(s);
            s.CompleteWrites();
        });
        var payload = RandomNumberGenerator.GetBytes(200_000);
        await using (var stream = await client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional))
        {
            var send = stream.WriteAsync(payload, completeWrites: true).AsTask();
            var received = new MemoryStream();
            await stream.CopyToAsync(received).WaitAsync(timeout);
            await send.WaitAsync(timeout);
            Assert.Equal(payload, received.ToArray());
        }
        await echo.WaitAsync(timeout);
        Assert.DoesNotContain(client.PluginEventLog, e => e.Message.StartsWith("injected", StringComparison.Ordinal));

        gate.Release.Set();
        var deadline = DateTime.UtcNow + timeout;
        while (!client.PluginEventLog.Any(e => e.Message.StartsWith("injected test.observer@", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the module was never attached: " + string.Join(" | ", client.PluginEventLog));
            await Task.Delay(5);
        }
        Assert.Contains(client.PluginEventLog, e => e.Message.StartsWith("attached: test.observer@", StringComparison.Ordinal));
        Assert.Equal("test.observer", Assert.Single(clientExchange.Host.AttachedTo(client.RunOnCore(c => c))).Module.Id);
    }
}
