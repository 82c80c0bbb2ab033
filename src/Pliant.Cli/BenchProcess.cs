using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Pliant.Cli;

/// <summary>A child process of the bench: stdout lines are queued, stderr kept; killed on dispose.</summary>
internal sealed class BenchProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly List<string> _stderr = [];
    private readonly Task _stdoutPump;

    private BenchProcess(Process process)
    {
        _process = process;
        // A dedicated thread, not a pool thread: the blocking ReadLine would hold one of the pool's threads for the
        // process's life, and with a server and a client that is both of a 2-core machine's minimum. The in-process
        // impairment relay's receive loops then waited for the pool to inject threads (~0.5-1 s stalls in both
        // directions, seen in qlog as PTO series during `bench --path` downloads).
        _stdoutPump = Task.Factory.StartNew(() =>
        {
            try
            {
                while (process.StandardOutput.ReadLine() is { } line) _lines.Add(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
            finally
            {
                _lines.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.Add(e.Data);
        };
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stderr
    {
        get
        {
            lock (_stderr) return string.Join('\n', _stderr.TakeLast(20));
        }
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/>; <paramref name="env"/> sets (or, with a null value, removes) variables.</summary>
    public static BenchProcess Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        }
        return new BenchProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file));
    }

    /// <summary>Starts this program (apphost or <c>dotnet pliant.dll</c>) with <paramref name="args"/>.</summary>
    public static BenchProcess StartSelf(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        string exe = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return Start(exe, [typeof(BenchProcess).Assembly.Location, .. args], env);
        return Start(exe, args, env);
    }

    /// <summary>CPU time used so far (user + system); works while the process runs.</summary>
    public double CpuSeconds
    {
        get
        {
            try
            {
                _process.Refresh();
                return _process.TotalProcessorTime.TotalSeconds;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                return double.NaN;
            }
        }
    }

    /// <summary>Every line of standard output until the process closes it (or <paramref name="timeout"/> passes).</summary>
    public List<string> ReadLines(TimeSpan timeout)
    {
        var lines = new List<string>();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                if (_lines.TryTake(out var line, timeout - deadline.Elapsed)) lines.Add(line);
                else if (_lines.IsCompleted) break;
            }
            catch (InvalidOperationException)
            {
                break; // completed
            }
        }
        return lines;
    }

    /// <summary>The next stdout line starting with <paramref name="prefix"/> (other lines are skipped), or null on timeout/exit.</summary>
    public string? WaitForLine(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero) return null;
            try
            {
                if (!_lines.TryTake(out var line, left)) return null;
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
            }
            catch (InvalidOperationException)
            {
                return null; // completed
            }
        }
    }

    /// <summary>Waits for exit; kills the process tree on timeout. Returns false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (_process.WaitForExit(timeout))
        {
            _process.WaitForExit(); // drain redirected output
            _stdoutPump.Wait(TimeSpan.FromSeconds(2));
            return true;
        }
        Kill();
        return false;
    }

    /// <summary>Writes one line to the process's stdin.</summary>
    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Closes stdin (the bench server's signal to stop) and waits a little, then kills.</summary>
    public void Stop(TimeSpan grace)
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        WaitForExit(grace);
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <summary>Parses <c>key=value</c> pairs of a line (the first word is the tag).</summary>
    public static Dictionary<string, string> Parse(string line)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) d[part[..eq]] = part[(eq + 1)..];
        }
        return d;
    }

    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeUdpPort()
    {
        using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)s.LocalEndPoint!).Port;
    }

    public static double Num(Dictionary<string, string> d, string key) =>
        d.TryGetValue(key, out var v) && double.TryParse(v.Split('[')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x : double.NaN;
}
