using Pliant.Plugins.Trust;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Exchange;

public sealed partial class PluginExchange
{
    /// <summary>
    /// Starts plugin exchange on <paramref name="connection"/>: registers the PLUGIN frame extension.
    /// Call it right after the connection is created (client: after <c>Connect</c>; server: when the
    /// endpoint hands the connection out), before its handshake completes. The connection's options
    /// must carry <see cref="PluginExchangeOptions.BuildTransportParameters"/> in
    /// <c>ExtraTransportParameters</c>, or the peer will neither push to us nor accept our pushes.
    /// Accepted modules are attached with <see cref="PluginHost.Attach(IConnectionEnvironment, PluginModule, PluginOrigin)"/> and <see cref="PluginOrigin.Peer"/>.
    /// </summary>
    public static PluginExchange Attach(QuicConnectionCore connection, PluginExchangeOptions options)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        var exchange = new PluginExchange(options, new CoreConnection(connection, options));
        connection.RegisterFrameExtension(exchange);
        // Whatever way the connection ends, what its transfers hold goes back to the shared budget.
        connection.Operations.Attach(OperationCatalog.ConnOnClosed, Anchor.Post, (ref OperationArgs _) => exchange.OnConnectionClosed(), "pliant.exchange");
        return exchange;
    }

    /// <summary>The adapter to the real connection core.</summary>
    private sealed class CoreConnection(QuicConnectionCore core, PluginExchangeOptions options) : IPluginExchangeConnection
    {
        public bool IsHandshakeComplete => core.IsConnected;

        // Read only once connected: the peer's parameters arrived with the handshake (RFC 9000 §7.4).
        public IReadOnlyList<(ulong Id, byte[] Value)>? PeerExtraTransportParameters =>
            core.IsConnected ? core.PeerExtraTransportParameters : null;

        public long NowUs => (long)core.GetField(ConnectionField.Now);

        public void RaisePluginEvent(string pluginId, string message) => core.RaisePluginEvent(pluginId, message);

        public long ScheduleTimer(long atUs, Action<long, long> callback) => core.ScheduleTimer(atUs, callback);

        public void CancelTimer(long id) => core.CancelTimer(id);

        // The host binds the loaded module into this running connection.
        public void Inject(PluginModule module, TrustDecision decision) => options.Host.Attach(core, module, PluginOrigin.Peer);
    }
}
