using System.Diagnostics;
using System.Text;

namespace Pliant.Interop.Tests.Harness;

/// <summary>
/// A child process (a peer or the pliant CLI) with stdout and stderr captured to files in a
/// per-test directory. Dispose kills the whole process tree if it is still running.
/// </summary>
public sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private bool _disposed;

    private PeerProcess(string name, Process process, string stdoutPath, string stderrPath)
    {
        Name = name;
        _process = process;
        StdoutPath = stdoutPath;
        StderrPath = stderrPath;
        _stdoutPump = Pump(process.StandardOutput.BaseStream, stdoutPath);
        _stderrPump = Pump(process.StandardError.BaseStream, stderrPath);
    }

    /// <summary>Short name used for the log files (e.g. "server", "client").</summary>
    public string Name { get; }

    public string StdoutPath { get; }

    public string StderrPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Exit code once exited; -1 if it was killed on timeout.</summary>
    public int ExitCode { get; private set; } = int.MinValue;

    public bool TimedOut { get; private set; }

    /// <summary>The command line, for failure messages.</summary>
    public string CommandLine { get; private init; } = "";

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="args"/>; logs go to <c>dir/name.stdout</c> and <c>dir/name.stderr</c>.</summary>
    public static PeerProcess Start(string name, string fileName, IEnumerable<string> args, string logDir, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(logDir);
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? logDir,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var cmd = fileName + " " + string.Join(' ', psi.ArgumentList.Select(Quote));
        File.WriteAllText(Path.Combine(logDir, name + ".cmd"), cmd + Environment.NewLine);
        return new PeerProcess(name, process, Path.Combine(logDir, name + ".stdout"), Path.Combine(logDir, name + ".stderr"))
        {
            CommandLine = cmd,
        };
    }

    /// <summary>Waits for exit; on timeout kills the process tree and sets <see cref="TimedOut"/>. Returns the exit code (-1 on timeout).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            ExitCode = _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            TimedOut = true;
            Kill();
            ExitCode = -1;
        }
        await DrainAsync();
        return ExitCode;
    }

    /// <summary>Stops a long-running peer (a server): kills the tree and waits for the logs to flush.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (_process.HasExited && ExitCode == int.MinValue) ExitCode = _process.ExitCode;
        await DrainAsync();
    }

    public string ReadStdout() => ReadShared(StdoutPath);

    public string ReadStderr() => ReadShared(StderrPath);

    /// <summary>stdout and stderr together (ngtcp2 writes its debug log to stderr).</summary>
    public string ReadAll() => ReadStdout() + "\n" + ReadStderr();

    /// <summary>The last <paramref name="lines"/> lines of both logs, for assertion messages.</summary>
    public string Tail(int lines = 30)
    {
        var sb = new StringBuilder();
        sb.Append("--- ").Append(Name).Append(": ").Append(CommandLine).Append(" (exit ").Append(ExitCode == int.MinValue ? "running" : ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(TimedOut ? ", timed out" : "").AppendLine(")");
        foreach (var (label, path) in new[] { ("stdout", StdoutPath), ("stderr", StderrPath) })
        {
            var all = ReadShared(path).Split('\n');
            var tail = all.Skip(Math.Max(0, all.Length - lines));
            sb.Append("  [").Append(label).Append(", ").Append(path).AppendLine("]");
            foreach (var l in tail) sb.Append("  ").AppendLine(l.Length > 240 ? l[..240] : l);
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) Kill();
        try
        {
            Task.WaitAll([_stdoutPump, _stderrPump], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
    }

    private static async Task Pump(Stream source, string path)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, n));
                await file.FlushAsync();
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static string ReadShared(string path)
    {
        if (!File.Exists(path)) return "";
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(fs);
        return reader.ReadToEnd();
    }

    private static string Quote(string s) => s.Length > 0 && s.All(c => !char.IsWhiteSpace(c) && c != '\'' && c != '"') ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
