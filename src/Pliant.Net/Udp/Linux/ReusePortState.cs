using System.Globalization;
using System.Text.Json;

namespace Pliant.Net.Udp.Linux;

/// <summary>One socket of the group: its process, generation and driver, in the kernel's socket order.</summary>
/// <param name="Pid">Process id.</param>
/// <param name="Start">The process's start time (/proc/PID/stat field 22), so a reused pid is not taken for it.</param>
/// <param name="Generation">The process's generation (0–255).</param>
/// <param name="Driver">The driver index within the process.</param>
/// <param name="Joined">The state's epoch when the process joined (the newest generation is the one that joined last).</param>
/// <param name="Draining">The process got SIGTERM: it serves its connections but gets no new ones.</param>
internal sealed record ReusePortEntry(int Pid, ulong Start, int Generation, int Driver, long Joined, bool Draining)
{
    /// <summary>Generation &lt;&lt; 8 | driver, as the steering program sees it.</summary>
    public int Member => Generation << 8 | Driver;
}

/// <summary>
/// The state file of a reuseport group (<see cref="ReusePortMembership"/>): which process's socket is at which
/// index of the kernel's socket array. Read and written only under the group's lock file; written by rename,
/// so a reader without the lock sees a whole file. Small: one entry per socket of the group.
/// </summary>
internal sealed class ReusePortState
{
    /// <summary>Largest state file read (a hostile or corrupt file larger than this is an error, not a memory cost).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Counts every change; the watchdogs refresh their view when it moves.</summary>
    public long Epoch { get; set; }

    /// <summary>The generation the next process gets (skipping live ones).</summary>
    public int NextGeneration { get; set; }

    /// <summary>The connection ID layout every generation uses (<see cref="SteeringLayout.Describe"/>).</summary>
    public string? Layout { get; set; }

    /// <summary>Set when a process left and the order could not be confirmed: a live member re-learns it by probing.</summary>
    public bool Dirty { get; set; }

    /// <summary>The sockets in the kernel's order.</summary>
    public List<ReusePortEntry> Sockets { get; set; } = [];

    /// <summary>Reads <paramref name="path"/>; an empty state when it does not exist.</summary>
    /// <exception cref="FormatException">The file is not a state file.</exception>
    public static ReusePortState Read(string path)
    {
        byte[] bytes;
        try
        {
            using var f = File.OpenRead(path);
            if (f.Length > MaxFileBytes) throw new FormatException($"{path}: larger than {MaxFileBytes} bytes");
            bytes = new byte[f.Length];
            f.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return new ReusePortState();
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var state = new ReusePortState
            {
                Epoch = root.GetProperty("epoch").GetInt64(),
                NextGeneration = root.GetProperty("next_generation").GetInt32() & 0xFF,
                Layout = root.TryGetProperty("layout", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null,
                Dirty = root.TryGetProperty("dirty", out var d) && d.GetBoolean(),
            };
            foreach (var s in root.GetProperty("sockets").EnumerateArray())
            {
                int gen = s.GetProperty("generation").GetInt32(), driver = s.GetProperty("driver").GetInt32();
                if (gen is < 0 or > 255 || driver is < 0 or > 255) throw new FormatException("generation and driver are 0 to 255");
                state.Sockets.Add(new ReusePortEntry(s.GetProperty("pid").GetInt32(), s.GetProperty("start").GetUInt64(), gen, driver,
                    s.GetProperty("joined").GetInt64(), s.GetProperty("draining").GetBoolean()));
            }
            return state;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{path}: not a reuseport state file ({e.Message})", e);
        }
    }

    /// <summary>Writes the state to <paramref name="path"/> (a temporary file renamed over it).</summary>
    public void Write(string path)
    {
        string temp = path + ".tmp." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        using (var w = new Utf8JsonWriter(f, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", Epoch);
            w.WriteNumber("next_generation", NextGeneration);
            if (Layout is not null) w.WriteString("layout", Layout);
            w.WriteBoolean("dirty", Dirty);
            w.WriteStartArray("sockets");
            foreach (var s in Sockets)
            {
                w.WriteStartObject();
                w.WriteNumber("pid", s.Pid);
                w.WriteNumber("start", s.Start);
                w.WriteNumber("generation", s.Generation);
                w.WriteNumber("driver", s.Driver);
                w.WriteNumber("joined", s.Joined);
                w.WriteBoolean("draining", s.Draining);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The kernel's order after socket <paramref name="index"/> leaves the group: the last socket moves into its
    /// slot (net/core/sock_reuseport.c, checked by <c>ReusePortKernelTests</c>).
    /// </summary>
    public static void RemoveAt(List<ReusePortEntry> order, int index)
    {
        order[index] = order[^1];
        order.RemoveAt(order.Count - 1);
    }

    /// <summary>Indices of the sockets new connections go to: the last generation to join that is not draining (or, if all are, the last).</summary>
    public static List<int> Newest(IReadOnlyList<ReusePortEntry> order)
    {
        ReusePortEntry? newest = null;
        foreach (var e in order)
            if (newest is null || (newest.Draining && !e.Draining) || (e.Draining == newest.Draining && e.Joined > newest.Joined)) newest = e;
        var indices = new List<int>();
        if (newest is null) return indices;
        for (int k = 0; k < order.Count; k++)
            if (order[k].Pid == newest.Pid && order[k].Generation == newest.Generation) indices.Add(k);
        indices.Sort((a, b) => order[a].Driver.CompareTo(order[b].Driver));
        return indices;
    }

    /// <summary>The steering program for <paramref name="order"/>.</summary>
    public static ReusePortGroup.SockFilter[] ProgramFor(SteeringLayout layout, IReadOnlyList<ReusePortEntry> order) =>
        ReusePortSteering.Program(layout, [.. order.Select(e => e.Member)], Newest(order));

    /// <summary>True while process <paramref name="pid"/> that started at <paramref name="start"/> runs (not a zombie, pid not reused).</summary>
    public static bool IsAlive(int pid, ulong start)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        int close = stat.LastIndexOf(')');
        if (close < 0) return false;
        var fields = stat[(close + 2)..].Split(' ');
        // Field 3 (state) is fields[0]; field 22 (starttime) is fields[19].
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x") return false;
        return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) && s == start;
    }

    /// <summary>This process's start time (/proc/self/stat field 22).</summary>
    public static ulong StartOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.Parse(fields[19], CultureInfo.InvariantCulture);
    }
}
