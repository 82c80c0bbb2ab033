using System.Collections.Frozen;

namespace Pliant.Http3.Qpack;

public static partial class QpackStaticTable
{
    /// <summary>Number of entries (RFC 9204 Appendix A).</summary>
    public const int Count = 99;

    private static readonly FrozenDictionary<(string, string), int> s_fullMatch = BuildFull();
    private static readonly FrozenDictionary<string, int> s_nameMatch = BuildNames();

    /// <summary>The entry at <paramref name="index"/> (0–98).</summary>
    public static (string Name, string Value) Get(int index) => s_entries[index];

    /// <summary>Index of an entry with this exact name and value.</summary>
    public static bool TryFindField(string name, string value, out int index) => s_fullMatch.TryGetValue((name, value), out index);

    /// <summary>Lowest index of an entry with this name.</summary>
    public static bool TryFindName(string name, out int index) => s_nameMatch.TryGetValue(name, out index);

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
