using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Cli;

/// <summary>
/// <c>--session FILE</c>: a TLS 1.3 session ticket (with the server's transport parameters for 0-RTT) as
/// JSON. The file holds the resumption secret — with it anyone can impersonate the server to this client
/// on a resumed connection and read its 0-RTT data — so (issue 11 item 15):
/// <list type="bullet">
/// <item>it is written owner-only (0600), through a new file renamed over the old one (a symlink planted at
/// the path is replaced, never followed);</item>
/// <item>an existing file that others may read or write (any group/other permission bit) is not used: a
/// warning says so and the connection starts without resumption (the next save rewrites it 0600). A
/// file planted by another user is readable by us only through such bits, so it is refused too;</item>
/// <item>the file records the certificate check the ticket was obtained under (system roots, the pinned
/// hashes, or none with <c>--insecure</c>); a ticket resumes only under the very same check, so a ticket
/// from an <c>--insecure</c> run never lets a later checked run skip the certificate.</item>
/// </list>
/// </summary>
internal static class SessionFile
{
    internal sealed record Dto(string Ticket, string ResumptionSecret, ushort Suite, uint AgeAdd, DateTimeOffset IssuedAt, double LifetimeSeconds,
        uint MaxEarlyDataSize, string? ServerName, string? ApplicationProtocol, string? TransportParameters, string? Validation = null);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                              UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The ticket in <paramref name="path"/>, or null (no file, unusable, expired, exposed, or obtained under
    /// another certificate check than <paramref name="validation"/>; the last two are reported on <paramref name="warnings"/>).
    /// </summary>
    public static TlsSessionTicket? Load(string? path, CertificateValidation validation, TextWriter warnings)
    {
        if (path is null || !File.Exists(path)) return null;
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & GroupOrOther) != 0)
                {
                    warnings.WriteLine($"pliant get: warning: session file {path} is accessible to other users (mode {Octal(mode)}); " +
                                       "not resuming from it (it will be rewritten owner-only)");
                    return null;
                }
            }
            var d = JsonSerializer.Deserialize<Dto>(File.ReadAllText(path));
            if (d is null) return null;
            string wanted = ValidationIdentity(validation);
            if (d.Validation != wanted)
            {
                warnings.WriteLine($"pliant get: warning: session file {path} was saved under another certificate check " +
                                   $"({Describe(d.Validation)}, now {Describe(wanted)}); not resuming from it");
                return null;
            }
            var ticket = new TlsSessionTicket
            {
                Ticket = Convert.FromBase64String(d.Ticket),
                ResumptionSecret = Convert.FromBase64String(d.ResumptionSecret),
                Suite = (CipherSuite)d.Suite,
                AgeAdd = d.AgeAdd,
                IssuedAt = d.IssuedAt,
                Lifetime = TimeSpan.FromSeconds(d.LifetimeSeconds),
                MaxEarlyDataSize = d.MaxEarlyDataSize,
                ServerName = d.ServerName,
                ApplicationProtocol = d.ApplicationProtocol,
                TransportParameters = d.TransportParameters is null ? null : Convert.FromBase64String(d.TransportParameters),
            };
            return ticket.IssuedAt + ticket.Lifetime > DateTimeOffset.UtcNow ? ticket : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            return null; // a stale or foreign file: connect without resumption
        }
    }

    /// <summary>Writes <paramref name="t"/>, obtained under <paramref name="validation"/>, owner-only and atomically.</summary>
    public static void Save(string path, TlsSessionTicket t, CertificateValidation validation)
    {
        var d = new Dto(Convert.ToBase64String(t.Ticket), Convert.ToBase64String(t.ResumptionSecret), (ushort)t.Suite, t.AgeAdd, t.IssuedAt,
            t.Lifetime.TotalSeconds, t.MaxEarlyDataSize, t.ServerName, t.ApplicationProtocol,
            t.TransportParameters is null ? null : Convert.ToBase64String(t.TransportParameters), ValidationIdentity(validation));
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6))}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly; // created 0600 whatever the umask
        try
        {
            using (var stream = new FileStream(temp, options))
                JsonSerializer.Serialize(stream, d);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>What identifies a certificate check: "insecure", "pin:HASH,..." (sorted) or "system[:roots=THUMB,...]".</summary>
    internal static string ValidationIdentity(CertificateValidation v) => v.Mode switch
    {
        CertificateValidationMode.Insecure => "insecure",
        CertificateValidationMode.Pinned => "pin:" + string.Join(",", v.PinnedSha256.Select(Convert.ToHexStringLower).Order(StringComparer.Ordinal)),
        _ => v.ExtraRoots is { Count: > 0 } roots
            ? "system:roots=" + string.Join(",", roots.Cast<X509Certificate2>().Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).Order(StringComparer.Ordinal))
            : "system",
    };

    private static string Describe(string? identity) => identity switch
    {
        null => "unknown: written by an older pliant",
        "insecure" => "--insecure, no certificate check",
        var s when s.StartsWith("pin:", StringComparison.Ordinal) => "--pin",
        _ => "system roots",
    };

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
