using System.Security.Cryptography;
using System.Text;

namespace Pliant.Router.Restart;

/// <summary>
/// The secrets a server keeps across restarts, in one file shared by the generations of <c>pliant serve
/// --reuseport</c> (docs/routing.md, "Reuseport group"): the session ticket key (resumption and 0-RTT, RFC 8446
/// §4.6.1) and the static key from which address-token (Retry and NEW_TOKEN, RFC 9000 §8.1) and stateless-reset
/// (RFC 9000 §10.3) keys are derived. A new generation reading the same file resumes the old one's tickets,
/// accepts its tokens, and resets its dead connections with tokens their clients accept.
/// </summary>
/// <remarks>
/// Format, one <c>name=hex</c> per line (<c>#</c> comments): <c>ticket=</c> 32 bytes, <c>static=</c> 32 bytes.
/// A missing file is created with random keys, owner-only (0600), atomically (a second process starting at the
/// same moment reads the first one's file). A file that others can read or anyone but the owner can write is
/// refused: whoever reads it can decrypt every resumed session's 0-RTT data and forge resets.
/// At most 64 KiB is read.
/// </remarks>
public sealed class ServerKeyFile
{
    private const int MaxBytes = 64 * 1024;

    private ServerKeyFile(byte[] ticketKey, byte[] staticKey, bool created)
    {
        TicketKey = ticketKey;
        StaticKey = staticKey;
        Created = created;
    }

    /// <summary>Session ticket key (32 bytes): <c>QuicListenerOptions.TicketKey</c>.</summary>
    public byte[] TicketKey { get; }

    /// <summary>Address-token and stateless-reset secret (32 bytes): <c>QuicListenerOptions.StaticKey</c>.</summary>
    public byte[] StaticKey { get; }

    /// <summary>True when this call created the file.</summary>
    public bool Created { get; }

    /// <summary>Reads <paramref name="path"/>, creating it with fresh random keys when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a key file, or other users can read it.</exception>
    public static ServerKeyFile LoadOrCreate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            byte[] ticket = RandomNumberGenerator.GetBytes(32), stat = RandomNumberGenerator.GetBytes(32);
            string text = "# pliant server keys (docs/routing.md): secret, owner-only; shared by the generations of pliant serve\n" +
                          $"ticket={Convert.ToHexString(ticket).ToLowerInvariant()}\nstatic={Convert.ToHexString(stat).ToLowerInvariant()}\n";
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                // Written under a temporary name and linked into place: a reader never sees half a file. The name is
                // unique per call, not per process: two calls of one process may race, and a temporary left by a
                // crashed process whose PID is reused must not block creation.
                string temp = $"{path}.tmp.{Environment.ProcessId}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}";
                using (var f = new FileStream(temp, options)) f.Write(Encoding.ASCII.GetBytes(text));
                try
                {
                    File.Move(temp, path, overwrite: false);
                    return new ServerKeyFile(ticket, stat, created: true);
                }
                catch (IOException) when (File.Exists(path))
                {
                    File.Delete(temp); // another process created it first: use theirs
                }
            }
            catch (IOException) when (File.Exists(path))
            {
            }
        }
        return Load(path);
    }

    /// <summary>Reads an existing key file.</summary>
    /// <exception cref="InvalidDataException">The file is not a key file, or other users can read it.</exception>
    public static ServerKeyFile Load(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode forbidden = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupWrite;
            if ((mode & forbidden) != 0)
                throw new InvalidDataException($"{path} holds secret keys but other users can access it (mode {Convert.ToString((int)mode, 8)}): chmod 600 {path}");
        }
        using var f = File.OpenRead(path);
        if (f.Length > MaxBytes) throw new InvalidDataException($"{path}: not a key file (larger than {MaxBytes} bytes)");
        using var reader = new StreamReader(f, Encoding.ASCII);
        byte[]? ticket = null, stat = null;
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var t = line.Trim();
            if (t.Length == 0 || t[0] == '#') continue;
            int eq = t.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? t : t[..eq].Trim(), value = eq < 0 ? "" : t[(eq + 1)..].Trim();
            byte[] key;
            try
            {
                key = Convert.FromHexString(value);
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{path}:{number}: {name}= must be hex");
            }
            if (key.Length != 32) throw new InvalidDataException($"{path}:{number}: {name}= must be 32 bytes (64 hex digits)");
            switch (name)
            {
                case "ticket" when ticket is null: ticket = key; break;
                case "static" when stat is null: stat = key; break;
                default: throw new InvalidDataException($"{path}:{number}: unknown or repeated line '{name}' (expected ticket= and static=)");
            }
        }
        if (ticket is null || stat is null) throw new InvalidDataException($"{path}: needs both ticket= and static= lines");
        return new ServerKeyFile(ticket, stat, created: false);
    }
}
