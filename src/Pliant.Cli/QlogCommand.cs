using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pliant.Quic.Diagnostics;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant qlog summary FILE</c> and <c>pliant qlog plot FILE -o chart.svg</c> (issue 14 item 6): read a JSON-SEQ
/// qlog (Pliant's or another stack's) record by record, or Pliant's binary .pqlog converted on the fly
/// (<see cref="QlogBinaryFile"/>); <c>pliant qlog convert FILE</c> writes that conversion to a .sqlog. The summary is a table of what happened; the plot is an
/// SVG a browser opens with the congestion window and bytes in flight (upper panel) and the smoothed and minimum
/// RTT (lower panel) over time, from <c>quic:recovery_metrics_updated</c> events.
/// </summary>
/// <remarks>
/// Hostile or broken files: a record that is not JSON, or misses the fields, is counted and skipped; a record
/// longer than 1 MiB is refused (the file is not a qlog). A binary trace's damaged records are counted and skipped,
/// a bad header refused, a truncated file read as far as it goes (<see cref="QlogBinaryFile.Convert"/>). Memory: the reader holds one record at a time and at
/// most <see cref="MaxPoints"/> points per series (halved by dropping every other point when full).
/// </remarks>
internal static class QlogCommand
{
    private const int MaxRecordBytes = 1 << 20;
    internal const int MaxPoints = 20_000;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var cmd = new Command("qlog", "Read qlog files (JSON-SEQ .sqlog or binary .pqlog, as QLOGDIR / --qlog write them)");
        var file = new Argument<string>("FILE") { Description = "The .sqlog or .pqlog file" };
        var summary = new Command("summary", "What the trace shows: packets, bytes, losses, RTT and window, events by name");
        summary.Arguments.Add(file);
        summary.SetAction(pr => Run(() => Summary(pr.GetValue(file)!)));
        var file2 = new Argument<string>("FILE") { Description = "The .sqlog or .pqlog file" };
        var output = new Option<string>("--output", "-o") { Description = "The SVG file to write", Required = true };
        var plot = new Command("plot", "An SVG chart: congestion window and bytes in flight, smoothed and minimum RTT, over time");
        plot.Arguments.Add(file2);
        plot.Options.Add(output);
        plot.SetAction(pr => Run(() => Plot(pr.GetValue(file2)!, pr.GetValue(output)!)));
        var file3 = new Argument<string>("FILE") { Description = "The .pqlog file (--qlog-format binary)" };
        var output3 = new Option<string?>("--output", "-o") { Description = "The .sqlog to write (default: FILE with .sqlog for .pqlog)" };
        var convert = new Command("convert", "Convert a binary trace (.pqlog) into the JSON-SEQ .sqlog the json format writes (what qvis reads)");
        convert.Arguments.Add(file3);
        convert.Options.Add(output3);
        convert.SetAction(pr => Run(() => Convert(pr.GetValue(file3)!, pr.GetValue(output3))));
        cmd.Subcommands.Add(summary);
        cmd.Subcommands.Add(plot);
        cmd.Subcommands.Add(convert);
        return cmd;
    }

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is CliException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("pliant qlog: " + e.Message);
            return e is CliException c ? c.Code : ExitCodes.TransferError;
        }
    }

    /// <summary>What a trace holds, read in one pass.</summary>
    internal sealed class Trace
    {
        public string VantagePoint = "?", Group = "?";
        public int Records, Malformed;
        public double LastTimeMs;
        public long PacketsSent, PacketsReceived, PacketsLost, BytesSent, BytesReceived;
        public readonly SortedDictionary<string, int> Events = new(StringComparer.Ordinal);
        public readonly Series Cwnd = new(), InFlight = new(), SmoothedRtt = new(), MinRtt = new();
        public string? CloseReason;
        public string? Problem; // why a binary trace's conversion stopped early
    }

    /// <summary>Points (time ms, value) kept within <see cref="MaxPoints"/>.</summary>
    internal sealed class Series
    {
        private int _stride = 1, _seen;
        public readonly List<(double T, double V)> Points = [];

        public void Add(double t, double v)
        {
            if (_seen++ % _stride != 0) return;
            Points.Add((t, v));
            if (Points.Count < MaxPoints) return;
            for (int i = 0; i < Points.Count / 2; i++) Points[i] = Points[2 * i];
            Points.RemoveRange(Points.Count / 2, Points.Count - Points.Count / 2);
            _stride *= 2;
        }
    }

    internal static Trace Read(string path)
    {
        var trace = new Trace();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
        var splitter = new RecordSplitter(trace, path);
        if (IsBinary(stream))
        {
            // A binary trace: converted on the fly, its text parsed as it comes (one record in memory at a time).
            var result = ConvertBinary(stream, splitter, path);
            trace.Malformed += (int)Math.Min(int.MaxValue, result.Skipped);
            trace.Problem = result.Problem;
        }
        else
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = stream.Read(buffer)) > 0) splitter.Write(buffer.AsSpan(0, n));
        }
        splitter.Finish();
        if (trace.Records == 0) throw new CliException(ExitCodes.Usage, $"{path}: no qlog records");
        return trace;
    }

    /// <summary>Whether the file starts with the binary qlog magic (the stream is left at its start).</summary>
    private static bool IsBinary(Stream stream)
    {
        Span<byte> start = stackalloc byte[8];
        int n = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        return QlogBinaryFile.IsBinary(start[..n]);
    }

    private static QlogConversion ConvertBinary(Stream input, Stream output, string path)
    {
        try
        {
            return QlogBinaryFile.Convert(input, output);
        }
        catch (InvalidDataException e)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: {e.Message}");
        }
    }

    /// <summary>
    /// Cuts JSON-SEQ text (RFC 7464) into records as it arrives and parses each; a write-only stream so the binary
    /// conversion can write into it.
    /// </summary>
    private sealed class RecordSplitter(Trace trace, string path) : Stream
    {
        private readonly MemoryStream _record = new();
        private bool _any;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            foreach (byte b in buffer)
            {
                if (b == 0x1E)
                {
                    if (_any) Parse(trace, _record);
                    _record.SetLength(0);
                    _any = true;
                    continue;
                }
                if (!_any) throw new CliException(ExitCodes.Usage, $"{path}: not a JSON-SEQ qlog (it does not start with a record separator)");
                if (_record.Length >= MaxRecordBytes) throw new CliException(ExitCodes.Usage, $"{path}: a record longer than 1 MiB: not a qlog");
                _record.WriteByte(b);
            }
        }

        public void Finish()
        {
            if (_any) Parse(trace, _record);
            _any = false;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// <c>pliant qlog convert FILE [-o OUT]</c>: a binary trace (.pqlog) as the JSON-SEQ .sqlog the JSON mode writes.
    /// A damaged file converts as far as it can be read, with a warning and exit code 1.
    /// </summary>
    private static int Convert(string path, string? output)
    {
        output ??= path.EndsWith(QlogBinaryFile.Extension, StringComparison.OrdinalIgnoreCase)
            ? path[..^QlogBinaryFile.Extension.Length] + ".sqlog"
            : path + ".sqlog";
        if (Path.GetFullPath(output) == Path.GetFullPath(path)) throw new CliException(ExitCodes.Usage, $"{output}: the output would overwrite the input");
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
        if (!IsBinary(input)) throw new CliException(ExitCodes.Usage, $"{path}: not a Pliant binary qlog (.pqlog): the magic is missing");
        QlogConversion result;
        string temp = output + ".part";
        using (var sqlog = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 256 * 1024))
        {
            try
            {
                result = ConvertBinary(input, sqlog, path);
            }
            catch
            {
                sqlog.Dispose();
                File.Delete(temp);
                throw;
            }
        }
        File.Move(temp, output, overwrite: true);
        Console.WriteLine($"pliant qlog: wrote {output} ({result.Records} records)");
        if (result.Skipped == 0 && result.Problem is null) return ExitCodes.Ok;
        Console.Error.WriteLine($"pliant qlog: {path}: " +
            (result.Skipped > 0 ? $"{result.Skipped} damaged records skipped" : "") +
            (result.Skipped > 0 && result.Problem is not null ? "; " : "") + (result.Problem is null ? "" : "stopped early: " + result.Problem));
        return ExitCodes.TransferError;
    }

    private static void Parse(Trace trace, MemoryStream record)
    {
        trace.Records++;
        try
        {
            using var doc = JsonDocument.Parse(record.GetBuffer().AsMemory(0, (int)record.Length));
            var e = doc.RootElement;
            if (e.TryGetProperty("trace", out var header))
            {
                if (header.TryGetProperty("vantage_point", out var vp) && vp.TryGetProperty("type", out var type)) trace.VantagePoint = type.GetString() ?? "?";
                if (header.TryGetProperty("common_fields", out var cf) && cf.TryGetProperty("group_id", out var g)) trace.Group = g.GetString() ?? "?";
                return;
            }
            double t = e.GetProperty("time").GetDouble();
            string name = e.GetProperty("name").GetString() ?? "?";
            var data = e.GetProperty("data");
            trace.LastTimeMs = Math.Max(trace.LastTimeMs, t);
            trace.Events[name] = trace.Events.GetValueOrDefault(name) + 1;
            switch (name)
            {
                case "quic:packet_sent":
                    trace.PacketsSent++;
                    trace.BytesSent += RawLength(data);
                    break;
                case "quic:packet_received":
                    trace.PacketsReceived++;
                    trace.BytesReceived += RawLength(data);
                    break;
                case "quic:packet_lost":
                    trace.PacketsLost++;
                    break;
                case "quic:recovery_metrics_updated":
                    if (data.TryGetProperty("congestion_window", out var cw)) trace.Cwnd.Add(t, cw.GetDouble());
                    if (data.TryGetProperty("bytes_in_flight", out var bif)) trace.InFlight.Add(t, bif.GetDouble());
                    if (data.TryGetProperty("smoothed_rtt", out var srtt)) trace.SmoothedRtt.Add(t, srtt.GetDouble());
                    if (data.TryGetProperty("min_rtt", out var mr)) trace.MinRtt.Add(t, mr.GetDouble());
                    break;
                case "quic:connection_closed":
                    trace.CloseReason = data.TryGetProperty("reason", out var r) ? r.GetString() : null;
                    break;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            trace.Malformed++;
        }
    }

    private static long RawLength(JsonElement data) =>
        data.TryGetProperty("raw", out var raw) && raw.TryGetProperty("length", out var l) && l.TryGetInt64(out long n) ? n : 0;

    private static int Summary(string path)
    {
        var t = Read(path);
        Console.WriteLine($"{Path.GetFileName(path)}: {t.VantagePoint} trace, group {t.Group}, {t.Records} records" +
                          (t.Malformed > 0 ? $" ({t.Malformed} malformed, skipped)" : ""));
        if (t.Problem is not null) Console.WriteLine($"  (the binary trace stopped early: {t.Problem})");
        Row("duration ms", t.LastTimeMs.ToString("0.0", Inv));
        Row("packets sent / received / lost", $"{t.PacketsSent} / {t.PacketsReceived} / {t.PacketsLost}");
        Row("bytes sent / received", $"{t.BytesSent} / {t.BytesReceived}");
        if (t.SmoothedRtt.Points.Count > 0)
            Row("smoothed RTT ms (last), min RTT ms", $"{t.SmoothedRtt.Points[^1].V.ToString("0.000", Inv)}, {t.MinRtt.Points.Select(p => p.V).DefaultIfEmpty(0).Min().ToString("0.000", Inv)}");
        if (t.Cwnd.Points.Count > 0)
            Row("congestion window bytes (last, max)", $"{t.Cwnd.Points[^1].V:0}, {t.Cwnd.Points.Max(p => p.V):0}");
        if (t.CloseReason is not null) Row("closed", t.CloseReason.Length == 0 ? "(no reason)" : t.CloseReason);
        Console.WriteLine();
        foreach (var (name, count) in t.Events) Row(name, count.ToString(Inv));
        return ExitCodes.Ok;
    }

    private static void Row(string what, string value) => Console.WriteLine($"  {what,-38}{value}");

    private static int Plot(string path, string output)
    {
        var t = Read(path);
        if (t.Cwnd.Points.Count == 0 && t.SmoothedRtt.Points.Count == 0)
            throw new CliException(ExitCodes.Usage, $"{path}: no quic:recovery_metrics_updated events to plot");
        File.WriteAllText(output, Svg(t, Path.GetFileName(path)));
        Console.WriteLine($"pliant qlog: wrote {output} ({t.Cwnd.Points.Count} window points, {t.SmoothedRtt.Points.Count} RTT points)");
        return ExitCodes.Ok;
    }

    internal static string Svg(Trace t, string title)
    {
        const int W = 900, H = 560, Left = 80, Right = 20, PanelH = 220;
        double tMax = Math.Max(1e-3, t.LastTimeMs);
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(Inv, $"<text x=\"{Left}\" y=\"20\" font-size=\"14\">{Escape(title)} ({Escape(t.VantagePoint)})</text>\n");
        Panel(sb, 40, "bytes", [(t.Cwnd, "congestion window", "#1f77b4"), (t.InFlight, "bytes in flight", "#ff7f0e")]);
        Panel(sb, 40 + PanelH + 50, "RTT ms", [(t.SmoothedRtt, "smoothed RTT", "#2ca02c"), (t.MinRtt, "min RTT", "#9467bd")]);
        sb.Append(Inv, $"<text x=\"{W / 2}\" y=\"{H - 8}\" text-anchor=\"middle\">time (ms)</text>\n");
        sb.Append("</svg>\n");
        return sb.ToString();

        void Panel(StringBuilder s, int top, string unit, (Series Series, string Name, string Color)[] lines)
        {
            double vMax = lines.SelectMany(l => l.Series.Points).Select(p => p.V).DefaultIfEmpty(1).Max();
            if (vMax <= 0) vMax = 1;
            int plotW = W - Left - Right;
            s.Append(Inv, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotW}\" height=\"{PanelH}\" fill=\"none\" stroke=\"#888\"/>\n");
            for (int i = 0; i <= 4; i++)
            {
                double y = top + PanelH - PanelH * i / 4.0;
                s.Append(Inv, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.0}\" text-anchor=\"end\">{vMax * i / 4:0.###}</text>\n");
                s.Append(Inv, $"<text x=\"{Left + plotW * i / 4.0:0.0}\" y=\"{top + PanelH + 16}\" text-anchor=\"middle\">{tMax * i / 4:0.#}</text>\n");
            }
            s.Append(Inv, $"<text x=\"12\" y=\"{top + PanelH / 2}\" transform=\"rotate(-90 12 {top + PanelH / 2})\" text-anchor=\"middle\">{unit}</text>\n");
            int legendX = Left + 10;
            foreach (var (series, name, color) in lines)
            {
                if (series.Points.Count == 0) continue;
                s.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.2\" points=\"");
                foreach (var (pt, pv) in series.Points)
                    s.Append(Inv, $"{Left + plotW * pt / tMax:0.0},{top + PanelH - PanelH * pv / vMax:0.0} ");
                s.Append("\"/>\n");
                s.Append(Inv, $"<text x=\"{legendX}\" y=\"{top + 14}\" fill=\"{color}\">{Escape(name)}</text>\n");
                legendX += 150;
            }
        }
    }

    private static string Escape(string s) => System.Security.SecurityElement.Escape(s) ?? "";
}
