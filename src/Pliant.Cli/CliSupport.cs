using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Pliant.Http3;
using Pliant.Net;
using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Cli;

/// <summary>Exit codes of <c>pliant get</c> (and the other commands).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int TransferError = 1;
    public const int Usage = 2;
    public const int ConnectionError = 3;
}

/// <summary>A one-line failure for the user; <see cref="Code"/> is the exit code.</summary>
internal sealed class CliException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

internal static class CliSupport
{
    /// <summary><c>--qlog-format json|binary</c> on get and serve (null when not given: the QLOGFORMAT variable, else json).</summary>
    public static System.CommandLine.Option<string?> QlogFormatOption()
    {
        var option = new System.CommandLine.Option<string?>("--qlog-format")
        {
            Description = "Format of --qlog/QLOGDIR traces: json (JSON-SEQ .sqlog, what qvis reads; the default) or binary (.pqlog, a fraction of " +
                          "the CPU; pliant qlog convert makes the .sqlog); default: the QLOGFORMAT environment variable, else json",
        };
        option.AcceptOnlyFromAmong("json", "binary");
        return option;
    }

    /// <summary>The format <c>--qlog-format</c> names; null (not given) leaves it to QLOGFORMAT.</summary>
    public static Pliant.Quic.Diagnostics.QlogFormat? ParseQlogFormat(string? name) =>
        name is null ? null : Pliant.Quic.Diagnostics.QlogTrace.TryParseFormat(name, out var f) ? f : throw new CliException(ExitCodes.Usage, $"--qlog-format {name}: json or binary");

    /// <summary>The built-in congestion controllers as <c>--cc</c> names them.</summary>
    public static readonly string[] CongestionControlNames = ["cubic", "newreno", "bbr"];

    /// <summary>A <c>--cc</c> name (<see cref="CongestionControlNames"/>, or reno for newreno); null for anything else.</summary>
    public static CongestionControlAlgorithm? ParseCongestionControl(string? name) => name switch
    {
        "cubic" => CongestionControlAlgorithm.Cubic,
        "newreno" or "reno" => CongestionControlAlgorithm.NewReno,
        "bbr" => CongestionControlAlgorithm.Bbr,
        _ => null,
    };

    public static IPEndPoint ParseEndPoint(string text, int defaultPort = 443)
    {
        if (IPEndPoint.TryParse(text, out var ep))
        {
            if (ep.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal)) ep.Port = defaultPort;
            return ep;
        }
        throw new CliException(ExitCodes.Usage, $"not an address:port: {text}");
    }

    /// <summary>Resolves a URL's host (IP literal or DNS name) to an endpoint.</summary>
    public static async Task<IPEndPoint> ResolveAsync(Uri uri, CancellationToken ct)
    {
        var port = uri.IsDefaultPort || uri.Port <= 0 ? 443 : uri.Port;
        if (IPAddress.TryParse(uri.IdnHost, out var ip)) return new IPEndPoint(ip, port);
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, ct).ConfigureAwait(false);
            var pick = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new CliException(ExitCodes.ConnectionError, $"{uri.IdnHost}: no address");
            return new IPEndPoint(pick, port);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new CliException(ExitCodes.ConnectionError, $"{uri.IdnHost}: {ex.Message}");
        }
    }

    public static X509Certificate2 LoadCertificate(string certPath, string keyPath)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot load certificate {certPath} / key {keyPath}: {ex.Message}");
        }
    }

    /// <summary>The certificates after the first one in the PEM file <paramref name="certPath"/> (intermediates sent after the leaf), or null if there are none.</summary>
    public static X509Certificate2Collection? LoadChain(string certPath)
    {
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPemFile(certPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot load certificate chain {certPath}: {ex.Message}");
        }
        if (all.Count <= 1) return null;
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) chain.Add(all[i]);
        return chain;
    }

    public static IReadOnlyList<CipherSuite>? ParseCiphers(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return null;
        var result = new List<CipherSuite>();
        foreach (var raw in list.Split([',', ':'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result.Add(raw.ToUpperInvariant().Replace('-', '_') switch
            {
                "TLS_AES_128_GCM_SHA256" or "AES_128_GCM" or "AES128GCM" or "AES_128_GCM_SHA256" => CipherSuite.Aes128GcmSha256,
                "TLS_AES_256_GCM_SHA384" or "AES_256_GCM" or "AES256GCM" or "AES_256_GCM_SHA384" => CipherSuite.Aes256GcmSha384,
                "TLS_CHACHA20_POLY1305_SHA256" or "CHACHA20_POLY1305" or "CHACHA20" or "CHACHA20_POLY1305_SHA256" => CipherSuite.ChaCha20Poly1305Sha256,
                _ => throw new CliException(ExitCodes.Usage, $"unknown cipher suite {raw} (TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256)"),
            });
        }
        return result;
    }

    public static IReadOnlyList<NamedGroup>? ParseGroups(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return null;
        var result = new List<NamedGroup>();
        foreach (var raw in list.Split([',', ':'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result.Add(raw.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal) switch
            {
                "x25519" => NamedGroup.X25519,
                "p256" or "secp256r1" or "prime256v1" => NamedGroup.Secp256r1,
                _ => throw new CliException(ExitCodes.Usage, $"unknown group {raw} (x25519, p256)"),
            });
        }
        return result;
    }

    /// <summary>
    /// --version: v1 = QUIC v1 only; v2 = start with v1 and upgrade to v2 by compatible version
    /// negotiation (RFC 9368); a hex number (0x...) = the same with that version.
    /// </summary>
    public static (uint initial, IReadOnlyList<uint>? versions) ParseVersion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (QuicVersion.V1, null);
        var t = text.Trim().ToLowerInvariant();
        if (t is "v1" or "1") return (QuicVersion.V1, [QuicVersion.V1]);
        if (t is "v2" or "2") return (QuicVersion.V1, [QuicVersion.V2, QuicVersion.V1]);
        var hex = t.StartsWith("0x", StringComparison.Ordinal) ? t[2..] : t;
        if (uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) && v != 0)
            return (QuicVersion.V1, v == QuicVersion.V1 ? [QuicVersion.V1] : [v, QuicVersion.V1]);
        throw new CliException(ExitCodes.Usage, $"unknown QUIC version {text} (v1, v2 or a hex number)");
    }

    public static string VersionName(uint v) => v switch
    {
        QuicVersion.V1 => "v1",
        QuicVersion.V2 => "v2",
        _ => "0x" + v.ToString("x8", CultureInfo.InvariantCulture),
    };

    public static string SuiteName(CipherSuite? s) => s switch
    {
        CipherSuite.Aes128GcmSha256 => "TLS_AES_128_GCM_SHA256",
        CipherSuite.Aes256GcmSha384 => "TLS_AES_256_GCM_SHA384",
        CipherSuite.ChaCha20Poly1305Sha256 => "TLS_CHACHA20_POLY1305_SHA256",
        null => "none",
        _ => s.ToString()!,
    };

    /// <summary>Maps an exception from connecting or transferring to an exit code and one line.</summary>
    public static (int code, string message) Describe(Exception ex, bool connected) => ex switch
    {
        CliException c => (c.Code, c.Message),
        QuicException q when !connected => (ExitCodes.ConnectionError, "connection failed: " + q.Message),
        QuicException q => (ExitCodes.TransferError, "transfer failed: " + q.Message),
        AuthenticationException a => (ExitCodes.ConnectionError, "TLS failed: " + a.Message),
        QuicProtocolException p => (ExitCodes.ConnectionError, "protocol error: " + p.Message),
        Http3Exception h => (ExitCodes.TransferError, $"HTTP/3 error {h.ErrorCode}: {h.Message}"),
        OperationCanceledException => (ExitCodes.TransferError, "cancelled"),
        IOException io => (connected ? ExitCodes.TransferError : ExitCodes.ConnectionError, io.Message),
        _ => (connected ? ExitCodes.TransferError : ExitCodes.ConnectionError, ex.GetType().Name + ": " + ex.Message),
    };
}

/// <summary>What the CLI reports about a connection (version, suite, resumption, 0-RTT) and a key update trigger.</summary>
internal static class ConnectionInfo
{
    public static (uint version, CipherSuite? suite, bool resumed, bool earlyData) Read(QuicConnection c) =>
        (c.QuicVersion, c.NegotiatedCipherSuite, c.IsResumed, c.EarlyDataAccepted);

    /// <summary>Starts a key update (RFC 9001 §6); false when not possible yet (handshake unconfirmed or one in progress).</summary>
    public static bool TryKeyUpdate(QuicConnection c) => c.InitiateKeyUpdate();

    /// <summary>One line on a connection's QPACK dynamic tables (RFC 9204): what the peer's encoder inserted and we decoded through it, and the same for ours.</summary>
    public static string QpackSummary(Pliant.Http3.Session.Http3ConnectionBase h3) => string.Create(CultureInfo.InvariantCulture,
        $"qpack peer_inserts={h3.Decoder.InsertsReceived} peer_refs={h3.Decoder.DynamicReferencesDecoded} blocked={h3.Decoder.BlockedSections} our_inserts={h3.Encoder.InsertsSent} our_refs={h3.Encoder.DynamicReferencesSent} acks={h3.Encoder.AcknowledgmentsReceived} sections_with_table={h3.Encoder.SectionsWithTable}");
}
