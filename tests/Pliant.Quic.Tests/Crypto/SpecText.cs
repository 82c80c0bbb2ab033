using System.Text;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>Reads hex test vectors out of the RFC markdown sources in shared/specs.</summary>
internal static class SpecText
{
    public static string Rfc9001 => SharedPaths.Spec("quic", "rfc9001-tls.md");

    public static string Rfc9369 => SharedPaths.Spec("quic", "rfc9369-quic-v2.md");

    /// <summary>
    /// The bytes of the first <c>~~~</c> fenced block after the first line that contains
    /// <paramref name="marker"/> (or equals it when <paramref name="exactLine"/>).
    /// </summary>
    public static byte[] HexBlockAfter(string file, string marker, bool exactLine = false)
    {
        var lines = File.ReadAllLines(file);
        int i = Array.FindIndex(lines, l => exactLine ? l.Trim() == marker : l.Contains(marker, StringComparison.Ordinal));
        Assert.True(i >= 0, $"marker '{marker}' not found in {file}");
        while (!lines[i].StartsWith("~~~", StringComparison.Ordinal)) i++;
        var hex = new StringBuilder();
        for (i++; !lines[i].StartsWith("~~~", StringComparison.Ordinal); i++)
            hex.Append(lines[i].Replace(" ", "", StringComparison.Ordinal).Trim());
        return Convert.FromHexString(hex.ToString());
    }

    public static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    public static string ToHex(ReadOnlySpan<byte> b) => Convert.ToHexString(b).ToLowerInvariant();
}
