using System.Security.Cryptography;
using System.Text.Json;
using Pliant.Quic.Crypto;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>
/// Wycheproof HKDF vectors against the BCL's HKDF and Pliant's own (<see cref="Hkdf"/>, which <c>HkdfLabel</c> and <c>InitialSecrets</c> build on)
/// (SHA-256 for the Initial secrets and two suites, SHA-384 for TLS_AES_256_GCM_SHA384).
/// </summary>
public class WycheproofHkdfTests
{
    [Theory]
    [InlineData("hkdf_sha256_test.json", "SHA256")]
    [InlineData("hkdf_sha384_test.json", "SHA384")]
    public void Vectors(string file, string hashName)
    {
        var hash = new HashAlgorithmName(hashName);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedPaths.Spec("crypto", "wycheproof", file)));
        int valid = 0, invalid = 0;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (var t in group.GetProperty("tests").EnumerateArray())
            {
                int id = t.GetProperty("tcId").GetInt32();
                var ikm = Hex(t.GetProperty("ikm").GetString()!);
                var salt = Hex(t.GetProperty("salt").GetString()!);
                var info = Hex(t.GetProperty("info").GetString()!);
                int size = t.GetProperty("size").GetInt32();
                if (t.GetProperty("result").GetString() == "invalid")
                {
                    // Output longer than 255 × HashLen (RFC 5869 §2.3).
                    Assert.ThrowsAny<ArgumentException>(() => HKDF.DeriveKey(hash, ikm, size, salt, info));
                    Assert.ThrowsAny<ArgumentException>(() => Hkdf.Expand(hash, Hkdf.Extract(hash, ikm, salt), info, new byte[size]));
                    invalid++;
                    continue;
                }
                // Extract then Expand, as InitialSecrets and HkdfLabel do.
                var prk = HKDF.Extract(hash, ikm, salt);
                var okm = HKDF.Expand(hash, prk, size, info);
                Assert.True(t.GetProperty("okm").GetString() == ToHex(okm), $"{file} tc{id}");
                // Pliant's own HKDF on libcrypto's low-level SHA-2 (what the key schedule uses).
                var prk2 = Hkdf.Extract(hash, ikm, salt);
                var okm2 = new byte[size];
                Hkdf.Expand(hash, prk2, info, okm2);
                Assert.True(t.GetProperty("okm").GetString() == ToHex(okm2), $"{file} tc{id} (Pliant.Quic.Crypto.Hkdf)");
                valid++;
            }
        }
        Assert.True(valid > 50 && invalid > 0);
    }
}
