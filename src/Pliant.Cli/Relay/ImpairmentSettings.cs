using System.Globalization;
using System.Text;

namespace Pliant.Cli.Relay;

/// <summary>
/// What the <see cref="ImpairmentRelay"/> does to the datagrams of one direction: a fixed delay plus
/// uniform jitter, random loss, corruption (one byte of the datagram XORed with a random non-zero
/// value), reordering (a datagram held back by <see cref="ReorderDelay"/> so later ones overtake it)
/// and a bottleneck of <see cref="RateBitsPerSecond"/> with a tail-drop queue of <see cref="QueueBytes"/>.
/// Text form (<see cref="Parse"/>, <see cref="ToString"/>):
/// <c>delay=5ms,jitter=1ms,loss=0.02,corrupt=0.3,reorder=0.05,reorder-delay=10ms,rate=10mbit,queue=256k</c>.
/// </summary>
public sealed record ImpairmentSettings
{
    /// <summary>No impairment: every datagram is forwarded at once, unchanged.</summary>
    public static ImpairmentSettings None { get; } = new();

    /// <summary>Fixed one-way delay added to every forwarded datagram.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Extra delay drawn uniformly from [0, Jitter) per datagram (so jitter also reorders).</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Probability (0..1) that a datagram is dropped.</summary>
    public double Loss { get; init; }

    /// <summary>Probability (0..1) that a forwarded datagram gets one byte flipped (XOR with a random value 1..255, at a random offset).</summary>
    public double Corrupt { get; init; }

    /// <summary>Probability (0..1) that a forwarded datagram is held back by <see cref="ReorderDelay"/>.</summary>
    public double Reorder { get; init; }

    /// <summary>How long a reordered datagram is held back (default 10 ms).</summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Bottleneck rate in bit/s; 0 = unlimited.</summary>
    public long RateBitsPerSecond { get; init; }

    /// <summary>Bytes the bottleneck queue holds when <see cref="RateBitsPerSecond"/> is set; a datagram that does not fit is dropped (default 256 KiB).</summary>
    public int QueueBytes { get; init; } = 256 * 1024;

    /// <summary>True when datagrams of this direction go through the departure queue (delay, jitter, reordering or a rate).</summary>
    public bool IsScheduled => Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero || Reorder > 0 || RateBitsPerSecond > 0;

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    public void Validate()
    {
        static void Probability(double p, string name)
        {
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"{name} must be a probability in [0, 1], got {p.ToString(CultureInfo.InvariantCulture)}");
        }
        Probability(Loss, "loss");
        Probability(Corrupt, "corrupt");
        Probability(Reorder, "reorder");
        if (Delay < TimeSpan.Zero || Jitter < TimeSpan.Zero || ReorderDelay < TimeSpan.Zero) throw new ArgumentException("delays must not be negative");
        if (Delay > TimeSpan.FromMinutes(1) || Jitter > TimeSpan.FromMinutes(1) || ReorderDelay > TimeSpan.FromMinutes(1)) throw new ArgumentException("delays are capped at 1 minute");
        if (RateBitsPerSecond < 0) throw new ArgumentException("rate must not be negative");
        if (QueueBytes < 1500 || QueueBytes > 64 << 20) throw new ArgumentException("queue must be between 1500 bytes and 64 MiB");
    }

    /// <summary>
    /// Parses the text form: comma-separated <c>key=value</c> (keys delay, jitter, loss, corrupt, reorder,
    /// reorder-delay, rate, queue); durations take us/ms/s, probabilities a fraction or a percentage
    /// (<c>0.3</c> or <c>30%</c>), rates kbit/mbit/gbit (or a plain number of bit/s), sizes k/m (1024-based).
    /// An empty string or <c>none</c> is <see cref="None"/>. Throws <see cref="FormatException"/> naming the bad item.
    /// </summary>
    public static ImpairmentSettings Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = new ImpairmentSettings();
        var trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed.Equals("none", StringComparison.OrdinalIgnoreCase)) return s;
        foreach (var item in trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException($"impairment item '{item}' is not key=value");
            var key = item[..eq].Trim().ToLowerInvariant();
            var value = item[(eq + 1)..].Trim();
            s = key switch
            {
                "delay" => s with { Delay = ParseDuration(value) },
                "jitter" => s with { Jitter = ParseDuration(value) },
                "loss" => s with { Loss = ParseProbability(value) },
                "corrupt" => s with { Corrupt = ParseProbability(value) },
                "reorder" => s with { Reorder = ParseProbability(value) },
                "reorder-delay" => s with { ReorderDelay = ParseDuration(value) },
                "rate" => s with { RateBitsPerSecond = ParseRate(value) },
                "queue" => s with { QueueBytes = (int)Math.Min(ParseSize(value), int.MaxValue) },
                _ => throw new FormatException($"unknown impairment '{key}' (delay, jitter, loss, corrupt, reorder, reorder-delay, rate, queue)"),
            };
        }
        try
        {
            s.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
        return s;
    }

    /// <summary>The text form <see cref="Parse"/> reads (only the items that differ from <see cref="None"/>), or <c>none</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        void Add(string item)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(item);
        }
        var inv = CultureInfo.InvariantCulture;
        if (Delay > TimeSpan.Zero) Add("delay=" + FormatDuration(Delay));
        if (Jitter > TimeSpan.Zero) Add("jitter=" + FormatDuration(Jitter));
        if (Loss > 0) Add("loss=" + Loss.ToString("0.####", inv));
        if (Corrupt > 0) Add("corrupt=" + Corrupt.ToString("0.####", inv));
        if (Reorder > 0) Add("reorder=" + Reorder.ToString("0.####", inv) + ",reorder-delay=" + FormatDuration(ReorderDelay));
        if (RateBitsPerSecond > 0) Add("rate=" + RateBitsPerSecond.ToString(inv) + ",queue=" + QueueBytes.ToString(inv));
        return sb.Length == 0 ? "none" : sb.ToString();
    }

    /// <summary>Parses <c>250us</c>, <c>5ms</c>, <c>3s</c>, <c>1.5s</c> (a plain number is milliseconds).</summary>
    public static TimeSpan ParseDuration(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (number, unit) = SplitUnit(value);
        var scale = unit switch
        {
            "us" => 0.001,
            "ms" or "" => 1.0,
            "s" => 1000.0,
            _ => throw new FormatException($"bad duration '{value}' (use us, ms or s)"),
        };
        var ms = ParseNumber(number, value) * scale;
        return ms < TimeSpan.MaxValue.TotalMilliseconds / 2 ? TimeSpan.FromMilliseconds(ms) : throw new FormatException($"'{value}' is out of range");
    }

    /// <summary>Parses <c>10mbit</c>, <c>500kbit</c>, <c>1gbit</c> or a plain number of bit/s.</summary>
    public static long ParseRate(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (number, unit) = SplitUnit(value);
        var scale = unit switch
        {
            "" or "bit" => 1.0,
            "kbit" => 1e3,
            "mbit" => 1e6,
            "gbit" => 1e9,
            _ => throw new FormatException($"bad rate '{value}' (use kbit, mbit or gbit)"),
        };
        return ToLong(ParseNumber(number, value) * scale, value);
    }

    /// <summary>Parses a byte count: <c>1200</c>, <c>256k</c>, <c>3m</c> (1024-based).</summary>
    public static long ParseSize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (number, unit) = SplitUnit(value);
        var scale = unit switch
        {
            "" or "b" => 1L,
            "k" or "kib" => 1L << 10,
            "m" or "mib" => 1L << 20,
            "g" or "gib" => 1L << 30,
            _ => throw new FormatException($"bad size '{value}' (use k, m or g)"),
        };
        return ToLong(ParseNumber(number, value) * scale, value);
    }

    private static double ParseProbability(string value)
    {
        if (value.EndsWith('%')) return ParseNumber(value[..^1], value) / 100.0;
        return ParseNumber(value, value);
    }

    private static (string Number, string Unit) SplitUnit(string value)
    {
        var v = value.Trim().ToLowerInvariant();
        var i = v.Length;
        while (i > 0 && char.IsAsciiLetter(v[i - 1])) i--;
        return (v[..i], v[i..]);
    }

    private static long ToLong(double d, string whole) =>
        d < long.MaxValue ? (long)d : throw new FormatException($"'{whole}' is out of range");

    private static double ParseNumber(string number, string whole)
    {
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsNaN(d) || double.IsInfinity(d) || d < 0)
            throw new FormatException($"bad number in '{whole}'");
        return d;
    }

    private static string FormatDuration(TimeSpan t) =>
        t.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms"
            : ((long)(t.Ticks / 10)).ToString(CultureInfo.InvariantCulture) + "us";
}
