using System.Globalization;
using System.Net;
using Pliant.Net;
using Pliant.Quic.Connection;

namespace Pliant.Cli;

/// <summary>What <c>pliant get --multipath --bind</c> and <c>pliant serve --multipath</c> share (issue 12).</summary>
internal static class MultipathCli
{
    /// <summary>The initial_max_path_id the CLI offers: path IDs 0–3.</summary>
    public const uint MaxPathId = 3;

    /// <summary>One <c>--bind</c> entry: a local address (port 0: any) and, for extra paths, the remote to reach.</summary>
    public sealed record BindSpec(IPEndPoint Local, IPEndPoint? Remote);

    /// <summary>Parses <c>LOCAL[=REMOTE],…</c> (addresses with optional ports).</summary>
    public static List<BindSpec> ParseBinds(string? text)
    {
        var list = new List<BindSpec>();
        if (string.IsNullOrWhiteSpace(text)) return list;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var halves = part.Split('=', 2, StringSplitOptions.TrimEntries);
            try
            {
                var local = IPAddress.TryParse(halves[0], out var a) ? new IPEndPoint(a, 0) : CliSupport.ParseEndPoint(halves[0], 0);
                var remote = halves.Length == 2 ? CliSupport.ParseEndPoint(halves[1], 443) : null;
                list.Add(new BindSpec(local, remote));
            }
            catch (FormatException)
            {
                throw new CliException(ExitCodes.Usage, $"--bind: not LOCAL[=REMOTE]: {part}");
            }
        }
        if (list.Count > MaxPathId + 1) throw new CliException(ExitCodes.Usage, $"--bind: at most {MaxPathId + 1} addresses (paths)");
        return list;
    }

    /// <summary>Opens a path from each <c>--bind</c> address after the first; fails the command when one cannot be validated.</summary>
    public static async Task OpenPathsAsync(QuicConnection conn, List<BindSpec> binds, bool quiet, CancellationToken ct)
    {
        for (int i = 1; i < binds.Count; i++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var path = await conn.OpenPathAsync(binds[i].Local, binds[i].Remote, timeout.Token).ConfigureAwait(false);
                if (!quiet) Console.Error.WriteLine($"pliant get: path {path.PathId} open from {path.Local} to {path.Remote}");
            }
            catch (InvalidOperationException ex)
            {
                throw new CliException(ExitCodes.ConnectionError, $"--multipath: {ex.Message}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.ConnectionError, $"--multipath: the path from {binds[i].Local} was not validated within 10 s");
            }
        }
    }

    /// <summary>The longest time between two arrivals of response data (a path failing over shows as a gap).</summary>
    public sealed class GapClock
    {
        private readonly Lock _lock = new();
        private long _last;
        private long _max;

        /// <summary>Response data arrived now.</summary>
        public void Note()
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            lock (_lock)
            {
                if (_last != 0) _max = Math.Max(_max, now - _last);
                _last = now;
            }
        }

        /// <summary>The longest gap so far.</summary>
        public TimeSpan MaxGap
        {
            get
            {
                lock (_lock) return System.Diagnostics.Stopwatch.GetElapsedTime(0, _max);
            }
        }
    }

    /// <summary>One line per path: <c>path N local=ADDR remote=ADDR bytes=N rtt_ms=N status=S</c> (bytes received on it).</summary>
    public static void PrintPaths(QuicConnection conn, TextWriter output)
    {
        foreach (var p in conn.Paths)
        {
            var local = p.Local?.ToString() ?? conn.LocalEndPoint.ToString();
            var status = p.Abandoned ? "abandoned" : !p.Validated ? "unvalidated" : p.Status == PathStatus.Backup ? "backup" : "available";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"path {p.PathId} local={local} remote={p.Remote} bytes={p.BytesReceived} rtt_ms={p.SmoothedRttUs / 1000.0:0.0} status={status}"));
        }
    }
}
