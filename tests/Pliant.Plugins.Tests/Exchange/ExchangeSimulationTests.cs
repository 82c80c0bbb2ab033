using System.Text;
using Pliant.Plugins.Exchange;
using Pliant.Plugins.Tests.Support;
using Pliant.Plugins.Trust;
using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Plugins.Tests.Exchange;

/// <summary>
/// Plugin exchange between two real connection cores in the deterministic pair simulator: the
/// server pushes (like <c>pliant serve --push</c>) while it sends the client 1 MiB on a stream.
/// </summary>
public class ExchangeSimulationTests
{
    private const int TransferSize = 1 << 20;

    /// <summary>One simulated run: a server that pushes, a client with a trust policy, 1 MiB server → client.</summary>
    internal sealed class Run
    {
        public required SimulatedPair Pair { get; init; }
        public required QuicConnectionCore Client { get; init; }
        public QuicConnectionCore? Server { get; set; }
        public PluginExchange? ClientExchange { get; init; }
        public PluginExchange? ServerExchange { get; set; }
        public required PluginExchangeOptions ClientOptions { get; init; }
        public required StreamCollector Collector { get; init; }
        public List<ConnectionEvent> ServerEvents { get; } = [];
        /// <summary>Bytes of the transfer the client had received when the pushed plugin was first seen attached.</summary>
        public long? ReceivedWhenAttached { get; set; }
        public ulong StreamId { get; set; } = ulong.MaxValue;

        public bool TransferDone => StreamId != ulong.MaxValue && Collector.Finished.Contains(StreamId);
        public long Received => StreamId != ulong.MaxValue && Collector.Data.TryGetValue(StreamId, out var ms) ? ms.Length : 0;

        public IEnumerable<(string Id, string Message)> ClientPluginEvents =>
            Collector.Events.Where(e => e.Kind == ConnectionEventKind.Plugin).Select(e => (Encoding.UTF8.GetString(e.Data!), e.Reason!));
    }

    internal static Run Start(int seed, byte[]? push, PluginTrustPolicy? clientPolicy, bool clientIsPliant = true,
        Func<QuicConnectionCore, PluginExchange?>? serverAttach = null, double loss = 0, PluginExchangeOptions? clientExchange = null)
    {
        var serverExchangeOptions = new PluginExchangeOptions { LoadInBackground = false }; // deterministic: loads run inline
        if (push is not null) serverExchangeOptions.AddPush(push);
        var serverOptions = new QuicConnectionOptions
        {
            Server = new SimulationSetup.TlsServerOptionsBuilder().Build(),
            Random = new Random(seed),
            ExtraTransportParameters = serverExchangeOptions.BuildTransportParameters(),
        };
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, serverOptions));
        pair.ServerToClient.BandwidthBitsPerSecond = 20_000_000;
        pair.ClientToServer.BandwidthBitsPerSecond = 20_000_000;
        pair.ServerToClient.LossRate = loss;
        pair.ClientToServer.LossRate = loss;

        var clientExchangeOptions = clientExchange ?? new PluginExchangeOptions { TrustPolicy = clientPolicy };
        clientExchangeOptions.LoadInBackground = false;
        var baseClient = SimulationSetup.ClientOptions(seed);
        var clientOptions = new QuicConnectionOptions
        {
            Client = baseClient.Client,
            Random = baseClient.Random,
            ExtraTransportParameters = clientIsPliant ? clientExchangeOptions.BuildTransportParameters() : [],
        };
        var client = pair.Connect(clientOptions);
        var run = new Run
        {
            Pair = pair,
            Client = client,
            ClientExchange = clientIsPliant ? PluginExchange.Attach(client, clientExchangeOptions) : null,
            ClientOptions = clientExchangeOptions,
            Collector = new StreamCollector(client),
        };
        StreamPump? pump = null;
        pair.OnStep = () =>
        {
            if (run.Server is null && pair.Server.TryAccept(out var s))
            {
                run.Server = s;
                run.ServerExchange = serverAttach is null ? PluginExchange.Attach(s, serverExchangeOptions) : serverAttach(s);
            }
            if (run.Server is { } server)
            {
                while (server.TryPollEvent(out var e)) run.ServerEvents.Add(e);
                if (pump is null && server.IsConnected && server.TryOpenStream(bidirectional: false, out ulong id))
                {
                    run.StreamId = id;
                    pump = new StreamPump(server, id, TestModules.DeterministicBytes(TransferSize, seed));
                }
                pump?.Step();
            }
            run.Collector.Step();
            if (run.ReceivedWhenAttached is null && clientExchangeOptions.Host.AttachedTo(client).Count > 0)
                run.ReceivedWhenAttached = run.Received;
        };
        return run;
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.0)]
    [InlineData(3, 0.03)]
    public void PushedPluginRunsInTheClientBeforeTheTransferEnds(int seed, double loss)
    {
        var module = TestModules.Observer(padding: 40_000);
        var run = Start(seed, module, new PluginTrustPolicy().AllowModule(module), loss: loss);
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.TransferDone);
        Assert.Equal(TransferSize, run.Received);

        // Injected into the running connection, before the transfer ended.
        Assert.NotNull(run.ReceivedWhenAttached);
        Assert.True(run.ReceivedWhenAttached < TransferSize, $"attached after {run.ReceivedWhenAttached} bytes");
        var instance = Assert.Single(run.ClientOptions.Host.AttachedTo(run.Client));
        Assert.Equal("test.observer", instance.Module.Id);
        Assert.Equal(PluginOrigin.Peer, instance.Origin);
        Assert.True(instance.Call("count") > 0, "the plugin's observers ran");
        Assert.Contains(run.ClientPluginEvents, e => e.Id == "test.observer" && e.Message.StartsWith("injected test.observer@", StringComparison.Ordinal));
        Assert.True(run.ServerExchange!.PushesComplete);
        if (loss > 0) Assert.True(run.Pair.ServerToClient.Dropped > 0);
    }

    [Fact]
    public void ClosingTheConnectionMidTransferGivesItsBytesBackToTheSharedBudget()
    {
        var module = TestModules.Observer(padding: 200_000);
        var budget = new PluginTransferBudget(4 << 20);
        var client = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module), TransferBudget = budget };
        var run = Start(60, module, null, clientExchange: client);
        Assert.True(run.Pair.RunUntil(() => run.ClientExchange!.ReassemblyBytes > 50_000, 30_000_000));
        Assert.Equal(run.ClientExchange!.ReassemblyBytes, budget.InUse);
        run.Client.Close(run.Pair.NowUs, 0, "bye");
        Assert.True(run.Pair.RunUntil(() => run.Client.IsClosed, 10_000_000));
        Assert.Equal(0, budget.InUse);
        Assert.Equal(0, run.ClientExchange.TransfersInProgress);
    }

    [Fact]
    public void SignedCPluginFromBuildShRunsInTheClient()
    {
        // plugins/monitoring.c compiled by plugins/build.sh (clang --target=wasm32), signed, pushed;
        // the client trusts the signing key only.
        using var key = PluginSigner.CreateKey();
        var module = PluginSigner.Sign(PluginFiles.Bytes("monitoring"), key);
        var policy = new PluginTrustPolicy().TrustKey(Encoding.ASCII.GetBytes(PluginSigner.ExportPublicKeyPem(key)));
        var run = Start(5, module, policy);
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.TransferDone);
        Assert.True(run.ReceivedWhenAttached < TransferSize);
        var monitoring = Assert.Single(run.ClientOptions.Host.AttachedTo(run.Client));
        Assert.Equal("monitoring", monitoring.Module.Id);
        // Counter 2 is packets received: the plugin counted the transfer's packets after injection.
        Assert.True(monitoring.Call("get", 2) > 100, $"monitoring saw {monitoring.Call("get", 2)} packets");
        Assert.Contains(run.ClientPluginEvents, e => e.Id == "monitoring" && e.Message.Contains("signed by trusted key", StringComparison.Ordinal));
    }

    [Fact]
    public void SecondConnectionRunsTheRememberedModuleWithoutATransfer()
    {
        var module = TestModules.Observer(padding: 20_000);
        var client = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module) };
        var first = Start(50, module, null, clientExchange: client);
        Assert.True(first.Pair.RunUntil(() => first.TransferDone || first.Client.IsClosed, 120_000_000));
        Assert.True(first.ServerExchange!.BytesSent >= module.Length);
        Assert.Single(client.Cache);

        var second = Start(51, module, null, clientExchange: client);
        Assert.True(second.Pair.RunUntil(() => second.TransferDone || second.Client.IsClosed, 120_000_000));
        Assert.True(second.TransferDone);
        Assert.Equal(0, second.ServerExchange!.BytesSent);
        Assert.Equal("test.observer", Assert.Single(client.Host.AttachedTo(second.Client)).Module.Id);
        Assert.True(second.ReceivedWhenAttached < TransferSize);
    }

    [Fact]
    public void LostPluginFramesAreRetransmittedAndReassembled()
    {
        var module = TestModules.Observer(padding: 60_000);
        var run = Start(4, module, new PluginTrustPolicy().AllowModule(module), loss: 0.1);
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.ServerExchange!.ChunksRetransmitted > 0);
        Assert.Single(run.ClientOptions.Host.AttachedTo(run.Client));
        Assert.True(run.TransferDone);
    }

    public static TheoryData<string, string> Untrusted => new()
    {
        { "hash", "refused: hash not allow-listed and module not signed" },
        { "signature", "refused: hash not allow-listed and no valid signature by a trusted key" },
        { "operation", "refused: operation cc.on_ack:replace is not allowed for a remote peer" },
    };

    [Theory]
    [MemberData(nameof(Untrusted))]
    public void UntrustedPushIsRefusedAndTheTransferCompletes(string kind, string expected)
    {
        using var signer = PluginSigner.CreateKey();
        using var trusted = PluginSigner.CreateKey();
        byte[] module;
        PluginTrustPolicy policy;
        switch (kind)
        {
            case "hash":
                module = TestModules.Observer();
                policy = new PluginTrustPolicy().AllowHash(new string('0', 64));
                break;
            case "signature":
                module = PluginSigner.Sign(TestModules.Observer(), signer);
                policy = new PluginTrustPolicy().TrustKey(trusted);
                break;
            default:
                module = TestModules.CcReplacer();
                policy = new PluginTrustPolicy().AllowModule(module);
                break;
        }
        var run = Start(10 + kind.Length, module, policy);
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.TransferDone);
        Assert.False(run.Client.IsClosed);
        Assert.Empty(run.ClientOptions.Host.AttachedTo(run.Client));
        var e = Assert.Single(run.ClientPluginEvents);
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(run.ClientExchange!.Outcomes).Injected);
    }

    [Fact]
    public void OversizeModuleIsNotPushedAndTheSenderSaysWhy()
    {
        // The client accepts at most 10 000 bytes and says so in supported_plugins; the server does not
        // waste the transfer and raises its own event instead.
        var module = TestModules.Observer(padding: 30_000);
        var run = Start(22, module, new PluginTrustPolicy { MaxModuleSize = 10_000 }.AllowModule(module));
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.TransferDone);
        Assert.Equal(0, run.ServerExchange!.BytesSent);
        var e = Assert.Single(run.ServerEvents, e => e.Kind == ConnectionEventKind.Plugin);
        Assert.Equal($"not pushed: {module.Length} bytes, the peer accepts at most 10000", e.Reason);
        Assert.Empty(run.ClientPluginEvents);
    }

    [Fact]
    public void PeerWithoutTheTransportParameterGetsNothing()
    {
        // A client that is not Pliant: no exchange parameters, no PLUGIN frame extension. A PLUGIN
        // frame would close its connection (unknown frame type), so the transfer completing proves none came.
        var module = TestModules.Observer();
        var run = Start(20, module, clientPolicy: null, clientIsPliant: false);
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.TransferDone);
        Assert.False(run.Client.IsClosed);
        Assert.False(run.ServerExchange!.PeerAcceptsPushes);
        Assert.Empty(run.ServerExchange.Pushing);
        Assert.Equal(0, run.ServerExchange.BytesSent);
    }

    [Fact]
    public void ClientThatRefusesPushesIsNotSentAnything()
    {
        var module = TestModules.Observer();
        var run = Start(21, module, PluginTrustPolicy.DenyRemote());
        Assert.True(run.Pair.RunUntil(() => run.TransferDone || run.Client.IsClosed, 120_000_000));
        Assert.True(run.TransferDone);
        Assert.Equal(0, run.ServerExchange!.BytesSent);
        Assert.Empty(run.ClientPluginEvents);
    }

    /// <summary>A server-side extension that sends one malformed PLUGIN frame: the chunk runs past the module's length.</summary>
    private sealed class RogueFrame : IFrameExtension
    {
        private bool _sent;
        public required QuicConnectionCore Connection { get; init; }
        public ulong FrameType => ExchangeWire.PluginFrameType;
        public bool IsAckEliciting => true;
        public bool HasPending => !_sent && Connection.IsConnected;
        public int Process(ReadOnlySpan<byte> afterType, long nowUs) => throw new InvalidOperationException();
        public int Write(Span<byte> destination, out ulong token)
        {
            token = 0;
            int pos = VarInt.Write(destination, ExchangeWire.PluginFrameType);
            pos += 32; // hash: zeros
            destination[4..pos].Clear();
            pos += VarInt.Write(destination[pos..], 90);   // offset
            pos += VarInt.Write(destination[pos..], 100);  // total
            pos += VarInt.Write(destination[pos..], 20);   // length: 90 + 20 > 100
            destination.Slice(pos, 20).Fill(0xaa);
            _sent = true;
            return pos + 20;
        }
        public void OnAcked(ulong token) { }
        public void OnLost(ulong token) => _sent = false;
    }

    [Fact]
    public void MalformedPluginFrameClosesWithFrameEncodingError()
    {
        var module = TestModules.Observer();
        var run = Start(30, module, new PluginTrustPolicy().AllowModule(module), serverAttach: s =>
        {
            s.RegisterFrameExtension(new RogueFrame { Connection = s });
            return null;
        });
        Assert.True(run.Pair.RunUntil(() => run.Client.CloseInfo is not null, 30_000_000));
        var close = run.Client.CloseInfo!.Value;
        Assert.Equal((ulong)TransportErrorCode.FrameEncodingError, close.ErrorCode);
        Assert.True(close.IsLocal);
        Assert.Contains("PLUGIN frame", close.Reason, StringComparison.Ordinal);
        Assert.False(run.TransferDone);
    }

    [Fact]
    public void ClientCanPushToTheServerToo()
    {
        // Symmetry: the client pushes (pliant get --push), the server's policy trusts it.
        var module = TestModules.Observer("client.pushed");
        var serverHost = new PluginHost();
        var serverTrust = new PluginExchangeOptions { TrustPolicy = new PluginTrustPolicy().AllowModule(module), Host = serverHost, LoadInBackground = false };
        int seed = 40;
        var serverOptions = new QuicConnectionOptions
        {
            Server = new SimulationSetup.TlsServerOptionsBuilder().Build(),
            Random = new Random(seed),
            ExtraTransportParameters = serverTrust.BuildTransportParameters(),
        };
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, serverOptions));
        var clientExchange = new PluginExchangeOptions().AddPush(module);
        var baseClient = SimulationSetup.ClientOptions(seed);
        var client = pair.Connect(new QuicConnectionOptions
        {
            Client = baseClient.Client,
            Random = baseClient.Random,
            ExtraTransportParameters = clientExchange.BuildTransportParameters(),
        });
        var sender = PluginExchange.Attach(client, clientExchange);
        QuicConnectionCore? server = null;
        pair.OnStep = () =>
        {
            if (server is null && pair.Server.TryAccept(out var s)) { server = s; PluginExchange.Attach(s, serverTrust); }
        };
        Assert.True(pair.RunUntil(() => server is not null && serverHost.AttachedTo(server).Count > 0, 10_000_000));
        Assert.Equal("client.pushed", Assert.Single(serverHost.AttachedTo(server!)).Module.Id);
        Assert.True(pair.RunUntil(() => sender.PushesComplete, 10_000_000));
    }
}
