using System.Globalization;
using System.Text.Json;

namespace Pliant.Cli.Sim;

/// <summary>
/// A <c>pliant sim</c> scenario: the simulated path (the same in both directions) and the download. Read from a
/// small JSON object whose keys are all optional:
/// <code>{ "rate_mbit": 20, "delay_ms": 10, "loss_percent": 1, "reorder_percent": 0, "reorder_delay_ms": 5,
///   "queue_kib": 256, "size_mib": 8, "time_limit_s": 120, "cc": "cubic" }</code>
/// Unknown keys and values out of range are refused with the key's name (a typo must not silently run the defaults).
/// </summary>
internal sealed record SimScenario
{
    /// <summary>Bottleneck rate of each direction, Mbit/s; 0: unlimited.</summary>
    public double RateMbit { get; init; } = 20;

    /// <summary>One-way propagation delay, ms.</summary>
    public double DelayMs { get; init; } = 10;

    /// <summary>Random loss of each direction, percent.</summary>
    public double LossPercent { get; init; }

    /// <summary>Datagrams delayed by <see cref="ReorderDelayMs"/> (so overtaken), percent.</summary>
    public double ReorderPercent { get; init; }

    /// <summary>Extra delay of a reordered datagram, ms.</summary>
    public double ReorderDelayMs { get; init; } = 5;

    /// <summary>Drop-tail queue at the bottleneck, KiB.</summary>
    public int QueueKib { get; init; } = 256;

    /// <summary>Bytes the server sends the client, MiB.</summary>
    public double SizeMib { get; init; } = 8;

    /// <summary>Virtual time after which a download counts as failed, s.</summary>
    public double TimeLimitS { get; init; } = 120;

    /// <summary>Congestion controller of both sides: cubic, newreno, bbr.</summary>
    public string Cc { get; init; } = "cubic";

    /// <summary>Largest scenario file read.</summary>
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>Parses and checks a scenario; <see cref="FormatException"/> names what is wrong.</summary>
    public static SimScenario Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            throw new FormatException("not JSON: " + e.Message);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("a scenario is a JSON object");
            var s = new SimScenario();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                s = p.Name switch
                {
                    "rate_mbit" => s with { RateMbit = Number(p, 0, 100_000) },
                    "delay_ms" => s with { DelayMs = Number(p, 0, 10_000) },
                    "loss_percent" => s with { LossPercent = Number(p, 0, 50) },
                    "reorder_percent" => s with { ReorderPercent = Number(p, 0, 50) },
                    "reorder_delay_ms" => s with { ReorderDelayMs = Number(p, 0, 10_000) },
                    "queue_kib" => s with { QueueKib = (int)Number(p, 1, 1 << 20) },
                    "size_mib" => s with { SizeMib = Number(p, 0.001, 4096) },
                    "time_limit_s" => s with { TimeLimitS = Number(p, 1, 86_400) },
                    "cc" => s with { Cc = Text(p, "cubic", "newreno", "bbr") },
                    _ => throw new FormatException($"unknown key \"{p.Name}\" (rate_mbit, delay_ms, loss_percent, reorder_percent, reorder_delay_ms, queue_kib, size_mib, time_limit_s, cc)"),
                };
            }
            return s;
        }
    }

    /// <summary>The scenario in one line, for the output.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rate={(RateMbit == 0 ? "unlimited" : RateMbit + " Mbit/s")} delay={DelayMs} ms loss={LossPercent} % reorder={ReorderPercent} % ({ReorderDelayMs} ms) queue={QueueKib} KiB size={SizeMib} MiB cc={Cc}");

    private static double Number(JsonProperty p, double min, double max)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double v) || double.IsNaN(v))
            throw new FormatException($"\"{p.Name}\" must be a number");
        if (v < min || v > max)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"\"{p.Name}\" must be between {min} and {max}, not {v}"));
        return v;
    }

    private static string Text(JsonProperty p, params string[] allowed)
    {
        string? v = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
        if (v is null || Array.IndexOf(allowed, v) < 0) throw new FormatException($"\"{p.Name}\" must be one of {string.Join(", ", allowed)}");
        return v;
    }
}
