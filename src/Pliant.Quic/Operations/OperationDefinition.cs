using System.Globalization;

namespace Pliant.Quic.Operations;

/// <summary>The anchors an operation offers (PQUIC's model, DESIGN §3).</summary>
[Flags]
public enum AnchorSet
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>One handler runs instead of the native implementation.</summary>
    Replace = 1,
    /// <summary>Observers before the operation runs.</summary>
    Pre = 2,
    /// <summary>Observers after the operation ran.</summary>
    Post = 4,
    /// <summary>All three.</summary>
    All = Replace | Pre | Post,
}

/// <summary>What a plugin pushed by the remote peer may do with an operation by default (DESIGN §4 "Exchange").</summary>
public enum RemoteUse
{
    /// <summary>Nothing, unless the operator's trust policy allows it explicitly.</summary>
    None,
    /// <summary>Observe it (its post anchor).</summary>
    Observe,
    /// <summary>
    /// Replace it as a cap: the effective result is the lower of the native value and the plugin's
    /// (a plugin answer of 0, "no cap", leaves the native value). A peer can slow our sending, never speed it up.
    /// </summary>
    Cap,
}

/// <summary>
/// The values a replacing handler may return. A result outside them is a broken bound: the owner is
/// detached and the native result is used (the single policy, enforced by <see cref="OperationTable"/>).
/// </summary>
/// <param name="Min">Smallest acceptable result.</param>
/// <param name="Max">Largest acceptable result.</param>
/// <param name="MinDatagrams">The smallest acceptable result is also at least this many maximum-size datagrams.</param>
/// <param name="ZeroMeansNone">0 is acceptable whatever the minimum ("no value", e.g. no pacing cap).</param>
/// <param name="Unit">The unit, for messages and the docs table.</param>
/// <param name="AtMostMaxAckDelay">The largest acceptable result is also the connection's advertised max_ack_delay (µs; RFC 9000 §13.2.1 MUST).</param>
/// <param name="Rule">
/// What the connection also checks against its own state where it uses the answer (e.g. "an open stream"), for the
/// docs table; an answer breaking it gets the same single policy (<see cref="OperationTable"/> detaches the owner).
/// </param>
public readonly record struct ResultBound(ulong Min, ulong Max, int MinDatagrams = 0, bool ZeroMeansNone = false, string Unit = "",
    bool AtMostMaxAckDelay = false, string? Rule = null)
{
    /// <summary>The effective minimum for a connection whose maximum datagram size is <paramref name="maxDatagramSize"/>.</summary>
    public ulong MinimumFor(ulong maxDatagramSize) => Math.Max(Min, (ulong)MinDatagrams * maxDatagramSize);

    /// <summary>Why <paramref name="result"/> is outside the bound, or null when it is inside.</summary>
    /// <param name="result">The replacement's answer.</param>
    /// <param name="maxDatagramSize">The connection's maximum datagram size.</param>
    /// <param name="maxAckDelayUs">The connection's advertised max_ack_delay, µs (used with <see cref="AtMostMaxAckDelay"/>).</param>
    public string? Check(ulong result, ulong maxDatagramSize, ulong maxAckDelayUs = ulong.MaxValue)
    {
        if (AtMostMaxAckDelay && result > maxAckDelayUs && result <= Max)
            return string.Create(CultureInfo.InvariantCulture, $"result {Describe(result)} is above max_ack_delay ({maxAckDelayUs} µs)");
        if (result == 0 && ZeroMeansNone) return null;
        ulong min = MinimumFor(maxDatagramSize);
        if (result < min)
        {
            string floor = MinDatagrams > 0 && min == (ulong)MinDatagrams * maxDatagramSize
                ? string.Create(CultureInfo.InvariantCulture, $"{MinDatagrams} datagrams ({min})")
                : min.ToString(CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"result {Describe(result)} is below {floor}");
        }
        if (result > Max) return string.Create(CultureInfo.InvariantCulture, $"result {Describe(result)} is above {Max}");
        return null;
    }

    private string Describe(ulong v) => Format(v) + (Unit.Length > 0 ? " " + Unit : "");

    private static string Format(ulong v) => v > long.MaxValue
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)v} (negative as i64)")
        : v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The bound as the docs table states it.</summary>
    public override string ToString()
    {
        string unit = Unit.Length > 0 ? " " + Unit : "";
        string zero = ZeroMeansNone ? "0 (none) or " : "";
        string min = MinDatagrams > 0
            ? (Min > 0 ? $"max({Min.ToString(CultureInfo.InvariantCulture)}, {MinDatagrams} × MaxDatagramSize)" : $"{MinDatagrams} × MaxDatagramSize")
            : Min.ToString("N0", CultureInfo.InvariantCulture);
        string rule = Rule is null ? "" : "; " + Rule;
        if (AtMostMaxAckDelay) return $"{zero}{min} to the advertised max_ack_delay{unit}{rule}";
        return Max >= long.MaxValue
            ? $"{zero}≥ {min}{unit} (and < 2^63){rule}"
            : $"{zero}{min} to {Max.ToString("N0", CultureInfo.InvariantCulture)}{unit}{rule}";
    }
}

/// <summary>
/// One protocol operation, defined once (DESIGN §7b): its stable name, anchors, when the core calls it,
/// what its arguments mean, what a replacement returns and within which bound, and what a remote peer's
/// plugin may do with it. The manifest validator, the plugin binding, the result checks and the table in
/// docs/plugin-abi.md all follow from <see cref="OperationCatalog"/>.
/// </summary>
public sealed class OperationDefinition
{
    internal OperationDefinition(OperationId id, string name, AnchorSet anchors, string when, string[] arguments,
        bool hasPath, string? result, ResultBound? bound, RemoteUse remote)
    {
        if (arguments.Length > 4) throw new ArgumentException("an operation has at most four arguments", nameof(arguments));
        Id = id;
        Name = name;
        Anchors = anchors;
        When = when;
        Arguments = arguments;
        HasPath = hasPath;
        Result = result;
        Bound = bound;
        Remote = remote;
    }

    internal OperationId Id { get; }

    /// <summary>The stable name, e.g. <c>cc.window</c>.</summary>
    public string Name { get; }

    /// <summary>The anchors it offers.</summary>
    public AnchorSet Anchors { get; }

    /// <summary>When the core calls it.</summary>
    public string When { get; }

    /// <summary>The meaning of A0..A3, in order (fewer entries: the rest are 0).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>
    /// True when the call carries the id of the path it concerns in <see cref="OperationArgs.Path"/>
    /// (ABI <c>arg(5)</c>): recovery, ACK and congestion-control operations. 0 until multipath.
    /// </summary>
    public bool HasPath { get; }

    /// <summary>What a replacement returns in <see cref="OperationArgs.Result"/> (null: nothing, the result is ignored).</summary>
    public string? Result { get; }

    /// <summary>The bound on a replacement's result, or null for none.</summary>
    public ResultBound? Bound { get; }

    /// <summary>What a plugin pushed by the remote peer may do by default.</summary>
    public RemoteUse Remote { get; }

    /// <summary>True when the operation offers <paramref name="anchor"/>.</summary>
    public bool Supports(Anchor anchor) => (Anchors & ToSet(anchor)) != 0;

    /// <summary>The anchors a remote peer's plugin may bind by default.</summary>
    public AnchorSet RemoteAnchors => Remote switch
    {
        RemoteUse.Observe => AnchorSet.Post & Anchors,
        RemoteUse.Cap => AnchorSet.Replace & Anchors,
        _ => AnchorSet.None,
    };

    /// <summary>
    /// The result a remote peer's replacement takes effect with under <see cref="RemoteUse.Cap"/>: the lower of
    /// <paramref name="native"/> and <paramref name="result"/>, where 0 means "none" for bounds with
    /// <see cref="ResultBound.ZeroMeansNone"/> (a plugin's 0 leaves the native value, a native 0 takes the
    /// plugin's). A value below the bound stays below it, so the table still detaches the plugin for it.
    /// </summary>
    public ulong RemoteResult(ulong native, ulong result)
    {
        if (Remote != RemoteUse.Cap) return native;
        bool zeroIsNone = Bound is { ZeroMeansNone: true };
        if (zeroIsNone && result == 0) return native;
        if (zeroIsNone && native == 0) return result;
        return Math.Min(native, result);
    }

    /// <summary>The anchor's name in manifests: <c>replace</c>, <c>pre</c> or <c>post</c>.</summary>
    public static string AnchorName(Anchor anchor) => anchor switch
    {
        Anchor.Replace => "replace",
        Anchor.Pre => "pre",
        _ => "post",
    };

    /// <summary>Parses a manifest anchor name.</summary>
    public static bool TryParseAnchor(string? name, out Anchor anchor)
    {
        anchor = name switch { "replace" => Anchor.Replace, "pre" => Anchor.Pre, _ => Anchor.Post };
        return name is "replace" or "pre" or "post";
    }

    /// <summary>The set holding just <paramref name="anchor"/>.</summary>
    public static AnchorSet ToSet(Anchor anchor) => anchor switch
    {
        Anchor.Replace => AnchorSet.Replace,
        Anchor.Pre => AnchorSet.Pre,
        _ => AnchorSet.Post,
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}
