using System.Security.Cryptography;

namespace Pliant.Interop.Tests.Harness;

/// <summary>Files with seeded random content and byte-for-byte checks.</summary>
public static class TestFiles
{
    /// <summary>Writes <paramref name="size"/> bytes from <c>new Random(seed)</c> to <c>dir/name</c>; returns the path.</summary>
    public static string Create(string dir, string name, long size, int seed)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        var rng = new Random(seed);
        var buffer = new byte[1 << 16];
        using var fs = File.Create(path);
        for (long left = size; left > 0;)
        {
            var n = (int)Math.Min(buffer.Length, left);
            rng.NextBytes(buffer.AsSpan(0, n));
            fs.Write(buffer, 0, n);
            left -= n;
        }
        return path;
    }

    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>Asserts <paramref name="actual"/> exists and has the same length and SHA-256 as <paramref name="expected"/>.</summary>
    public static void AssertSame(string expected, string actual, string context = "")
    {
        Assert.True(File.Exists(actual), $"downloaded file {actual} is missing. {context}");
        var el = new FileInfo(expected).Length;
        var al = new FileInfo(actual).Length;
        Assert.True(el == al, $"{actual}: {al} bytes, expected {el}. {context}");
        Assert.True(Sha256(expected) == Sha256(actual), $"{actual}: SHA-256 differs from {expected}. {context}");
    }
}
