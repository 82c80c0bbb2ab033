using System.Collections.Frozen;

namespace Pliant.Http3.Qpack;

public static partial class QpackStaticTable
{
    /// <summary>Number of entries (RFC 9204 Appendix A).</summary>
    public const int Count = 99;


    /// <summary>The entry at <paramref name="index"/> (0–98).</summary>
    public static (string Name, string Value) Get(int index) => s_entries[index];

    /// <summary>Index of an entry with this exact name and value.</summary>
    public static bool TryFindField(string name, string value, out int index) => Lookup.Full.TryGetValue((name, value), out index);

    /// <summary>Lowest index of an entry with this name.</summary>
    public static bool TryFindName(string name, out int index) => Lookup.Names.TryGetValue(name, out index);

    // Separate class: static field initializers in partial files run in an unspecified order.
    private static class Lookup
    {
        public static readonly FrozenDictionary<(string, string), int> Full = BuildFull();
        public static readonly FrozenDictionary<string, int> Names = BuildNames();
    }

    private static FrozenDictionary<(string, string), int> BuildFull()
    {
        var d = new Dictionary<(string, string), int>();
        for (int i = 0; i < s_entries.Length; i++) d.TryAdd(s_entries[i], i);
        return d.ToFrozenDictionary();
    }

    private static FrozenDictionary<string, int> BuildNames()
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < s_entries.Length; i++) d.TryAdd(s_entries[i].Name, i);
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
