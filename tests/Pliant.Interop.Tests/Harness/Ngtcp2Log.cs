using System.Text.RegularExpressions;

namespace Pliant.Interop.Tests.Harness;

/// <summary>
/// What gtlsserver/gtlsclient debug output (without -q) tells about a connection. The strings are
/// those of ngtcp2 0.12.1's examples and library debug log; docs/interop.md lists them.
/// </summary>
public static partial class Ngtcp2Log
{
    /// <summary>"QUIC handshake has completed" (both sides).</summary>
    public static bool HandshakeCompleted(string log) => log.Contains("QUIC handshake has completed", StringComparison.Ordinal);

    /// <summary>The versions from "con the negotiated version is 0x%08x" lines.</summary>
    public static IReadOnlyList<uint> NegotiatedVersions(string log) =>
        VersionRegex().Matches(log).Select(m => Convert.ToUInt32(m.Groups[1].Value, 16)).Distinct().ToList();

    /// <summary>The GnuTLS cipher name from "Negotiated cipher suite is X" (e.g. AES-128-GCM, CHACHA20-POLY1305).</summary>
    public static string? CipherSuite(string log)
    {
        var m = CipherRegex().Match(log);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Server: it sent a Retry ("Sending Retry packet to ...") and later verified the token ("Verifying Retry token").</summary>
    public static bool ServerSentRetry(string log) => log.Contains("Sending Retry packet", StringComparison.Ordinal);

    public static bool ServerVerifiedRetryToken(string log) => log.Contains("Verifying Retry token", StringComparison.Ordinal);

    /// <summary>Client: it received a Retry ("pkt rx ... type=Retry").</summary>
    public static bool ClientReceivedRetry(string log) => PacketLines(log, "rx").Any(l => l.Contains("type=Retry", StringComparison.Ordinal));

    /// <summary>Client: it sent 0-RTT packets ("pkt tx ... type=0RTT").</summary>
    public static bool SentZeroRtt(string log) => PacketLines(log, "tx").Any(l => l.Contains("type=0RTT", StringComparison.Ordinal));

    /// <summary>Server: it received and decrypted 0-RTT packets ("frm rx N 0RTT ..." follows a successful decrypt).</summary>
    public static bool ReceivedZeroRttFrames(string log) => log.Contains(" frm rx ", StringComparison.Ordinal) && ZeroRttFrameRx().IsMatch(log);

    /// <summary>Client: "Early data was rejected by server".</summary>
    public static bool EarlyDataRejected(string log) => log.Contains("Early data was rejected by server", StringComparison.Ordinal);

    /// <summary>An endpoint that initiated or followed a key update logs "cry key update confirmed".</summary>
    public static bool KeyUpdateConfirmed(string log) => log.Contains("key update confirmed", StringComparison.Ordinal);

    /// <summary>Packets received with the key phase bit set ("pkt rx ... type=1RTT k=1").</summary>
    public static bool ReceivedKeyPhase1(string log) => PacketLines(log, "rx").Any(l => l.Contains("type=1RTT k=1", StringComparison.Ordinal));

    /// <summary>Client after --change-local-addr: "Path validation against path {...} succeeded".</summary>
    public static bool PathValidationSucceeded(string log) => PathOkRegex().IsMatch(log);

    /// <summary>Client: "Changing local address" (the --change-local-addr timer fired).</summary>
    public static bool ChangedLocalAddress(string log) => log.Contains("Changing local address", StringComparison.Ordinal);

    /// <summary>PATH_CHALLENGE frames received.</summary>
    public static bool ReceivedPathChallenge(string log) => log.Contains("frm rx", StringComparison.Ordinal) && log.Contains("PATH_CHALLENGE", StringComparison.Ordinal);

    private static IEnumerable<string> PacketLines(string log, string dir)
    {
        var needle = " pkt " + dir + " ";
        foreach (var line in log.Split('\n'))
        {
            if (line.Contains(needle, StringComparison.Ordinal)) yield return line;
        }
    }

    [GeneratedRegex(@"the negotiated version is 0x([0-9a-fA-F]{8})")]
    private static partial Regex VersionRegex();

    [GeneratedRegex(@"Negotiated cipher suite is (\S+)")]
    private static partial Regex CipherRegex();

    [GeneratedRegex(@" frm rx \d+ 0RTT ")]
    private static partial Regex ZeroRttFrameRx();

    [GeneratedRegex(@"Path validation against path .* succeeded")]
    private static partial Regex PathOkRegex();
}
