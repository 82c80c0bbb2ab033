using System.Text;
using System.Text.Json;

namespace Pliant.Quic.Tests.Diagnostics;

/// <summary>Reads a JSON-SEQ qlog file (RFC 7464) back as records, each parsed (a record that does not parse fails).</summary>
internal static class QlogRecords
{
    public static List<JsonElement> Read(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        Assert.Equal(0x1E, bytes[0]);
        var records = new List<JsonElement>();
        int start = 0;
        for (int i = 1; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != 0x1E) continue;
            Assert.Equal((byte)'\n', bytes[i - 1]); // every record ends with a line feed
            using var doc = JsonDocument.Parse(bytes.AsMemory(start + 1, i - start - 1));
            records.Add(doc.RootElement.Clone());
            start = i;
        }
        return records;
    }

    public static string Name(JsonElement e) => e.TryGetProperty("name", out var n) ? n.GetString()! : "";

    public static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
