using System.Text;
using Pliant.Quic;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;

namespace Pliant.Router.FirstFlight;

/// <summary>What a router needs from a client's ClientHello: the server name and the offered application protocols.</summary>
public sealed class ClientHelloInfo
{
    /// <summary>The most ALPN names kept (the TLS layer refuses more, TlsLimits.MaxAlpnProtocols).</summary>
    public const int MaxAlpnNames = 64;

    private ClientHelloInfo(string? serverName, IReadOnlyList<string> alpn)
    {
        ServerName = serverName;
        ApplicationProtocols = alpn;
    }

    /// <summary>The host name of the server_name extension (RFC 6066 §3), lower-case, one trailing dot removed; null without one.</summary>
    public string? ServerName { get; }

    /// <summary>The application_layer_protocol_negotiation names (RFC 7301 §3.1) in the client's order; empty without the extension.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; }

    /// <summary>
    /// Reads a complete ClientHello handshake message (type, 24-bit length, body: RFC 8446 §4.1.2) with the
    /// same extension parser the TLS server uses (duplicates refused, at most 128 extensions). Returns null,
    /// never throws, for anything that is not a well-formed ClientHello. Allocates the strings it returns and
    /// copies of the extensions (only the first flight of a connection comes here).
    /// </summary>
    public static ClientHelloInfo? TryParse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 4 || message[0] != 0x01) return null;
        int length = message[1] << 16 | message[2] << 8 | message[3];
        if (length != message.Length - 4) return null;
        try
        {
            var r = new WireReader(message[4..], TlsAlert.DecodeErrorCode, "ClientHello");
            r.ReadUInt16();   // legacy_version
            r.ReadBytes(32);  // random
            r.ReadVector8();  // legacy_session_id
            r.ReadVector16(); // cipher_suites
            r.ReadVector8();  // legacy_compression_methods
            if (r.IsEmpty) return new ClientHelloInfo(null, []);
            var extensions = TlsExtensions.Read(ref r, "ClientHello");
            if (!r.IsEmpty) return null;
            string? name = extensions.Get(ExtensionType.ServerName) is { } sn ? TlsExtensions.ParseServerName(sn) : null;
            var alpn = new List<string>();
            if (extensions.Get(ExtensionType.Alpn) is { } a)
            {
                foreach (var p in TlsExtensions.ParseAlpn(a))
                {
                    if (alpn.Count == MaxAlpnNames) break;
                    alpn.Add(Encoding.UTF8.GetString(p));
                }
            }
            return new ClientHelloInfo(name is null ? null : NormalizeName(name), alpn);
        }
        catch (QuicProtocolException)
        {
            return null;
        }
    }

    /// <summary>Host names compare case-insensitively (RFC 4343) and without one trailing dot.</summary>
    public static string NormalizeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.ToLowerInvariant();
        return n.EndsWith('.') ? n[..^1] : n;
    }
}
