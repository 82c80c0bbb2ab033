using Pliant.Plugins.Trust;
using Pliant.Quic.Connection;

namespace Pliant.Plugins.Exchange;

public sealed partial class PluginExchange
{
    /// <summary>
    /// Starts plugin exchange on <paramref name="connection"/>: registers the PLUGIN frame extension.
    /// Call it right after the connection is created (client: after <c>Connect</c>; server: when the
    /// endpoint hands the connection out), before its handshake completes. The connection's options
    /// must carry <see cref="PluginExchangeOptions.BuildTransportParameters"/> in
    /// <c>ExtraTransportParameters</c>, or the peer will neither push to us nor accept our pushes.
    /// Accepted modules are attached with <see cref="PluginHost.Attach(QuicConnectionCore, PluginModule, PluginOrigin)"/> and <see cref="PluginOrigin.Peer"/>.
    /// </summary>
    public static PluginExchange Attach(QuicConnectionCore connection, PluginExchangeOptions options)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        var exchange = new PluginExchange(options, new CoreConnection(connection, options));
        connection.RegisterFrameExtension(exchange);
        return exchange;
    }

    /// <summary>The adapter to the real connection core.</summary>
    private sealed class CoreConnection(QuicConnectionCore core, PluginExchangeOptions options) : IPluginExchangeConnection
    {
        public bool IsHandshakeComplete => core.IsConnected;

        // Read only once connected: the peer's parameters arrived with the handshake (RFC 9000 §7.4).
        public IReadOnlyList<(ulong Id, byte[] Value)>? PeerExtraTransportParameters =>
            core.IsConnected ? core.PeerExtraTransportParameters : null;

        public void RaisePluginEvent(string pluginId, string message) => core.RaisePluginEvent(pluginId, message);

        public void Inject(byte[] wasm, TrustDecision decision)
        {
            // Loading validates and compiles; the host binds it into this running connection.
            var module = PluginModule.Load(wasm, options.Limits);
            // Defence in depth: the decision was made on our reading of the manifest; check the
            // host's own reading too, so no difference between two JSON readers can widen access.
            if (options.TrustPolicy is { PeerRule: OriginRule.RequireTrust } policy)
                foreach (var b in module.Manifest.Bindings)
                    if (!policy.IsRemoteOperationAllowed(new OperationRequest(b.Operation, b.Anchor)))
                        throw new PluginLoadException($"operation {b.Operation}:{b.Anchor} is not allowed for a remote peer");
            options.Host.Attach(core, module, PluginOrigin.Peer);
        }
    }
}
