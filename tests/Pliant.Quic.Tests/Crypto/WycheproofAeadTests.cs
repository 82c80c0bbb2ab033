using System.Text.Json;
using Pliant.Quic.Crypto;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>
/// Wycheproof AES-GCM and ChaCha20-Poly1305 vectors run through <see cref="PacketKeys"/> Seal/TryOpen:
/// with packet number 0 the nonce is the IV itself (RFC 9001 §5.3), so the vector's IV is used as the IV.
/// Only 12-byte IVs and 16-byte tags apply to QUIC.
/// </summary>
public class WycheproofAeadTests
{
    public sealed record AeadCase(int TcId, string Result, string Key, string Iv, string Aad, string Msg, string Ct, string Tag)
    {
        public override string ToString() => $"tc{TcId}";
    }

    internal static List<AeadCase> Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedPaths.Spec("crypto", "wycheproof", file)));
        var list = new List<AeadCase>();
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            if (group.GetProperty("ivSize").GetInt32() != 96 || group.GetProperty("tagSize").GetInt32() != 128) continue;
            int keySize = group.GetProperty("keySize").GetInt32();
            if (keySize is not (128 or 256)) continue;
            foreach (var t in group.GetProperty("tests").EnumerateArray())
            {
                list.Add(new AeadCase(t.GetProperty("tcId").GetInt32(), t.GetProperty("result").GetString()!,
                    t.GetProperty("key").GetString()!, t.GetProperty("iv").GetString()!, t.GetProperty("aad").GetString()!,
                    t.GetProperty("msg").GetString()!, t.GetProperty("ct").GetString()!, t.GetProperty("tag").GetString()!));
            }
        }
        return list;
    }

    [Fact]
    public void AesGcm() => Run("aes_gcm_test.json", c => Hex(c.Key).Length == 16 ? CipherSuite.Aes128GcmSha256 : CipherSuite.Aes256GcmSha384);

    /// <summary>The same vectors through the OpenSSL fallback that AES suites use without AES-NI.</summary>
    [Fact]
    public void AesGcmOpenSslFallback() => Run("aes_gcm_test.json",
        c => Hex(c.Key).Length == 16 ? CipherSuite.Aes128GcmSha256 : CipherSuite.Aes256GcmSha384, useIntrinsics: false);

    [Fact]
    public void ChaCha20Poly1305() => Run("chacha20_poly1305_test.json", _ => CipherSuite.ChaCha20Poly1305Sha256);

    private static void Run(string file, Func<AeadCase, CipherSuite> suiteOf, bool? useIntrinsics = null)
    {
        var cases = Load(file);
        Assert.True(cases.Count > 100, $"only {cases.Count} cases loaded from {file}");
        int valid = 0, invalid = 0;
        foreach (var c in cases)
        {
            var suite = suiteOf(c);
            var key = Hex(c.Key);
            using var keys = PacketKeys.FromKeyMaterial(suite, QuicVersion.V1, key, Hex(c.Iv), new byte[key.Length], useIntrinsics);
            var aad = Hex(c.Aad);
            var msg = Hex(c.Msg);
            var sealedExpected = Hex(c.Ct + c.Tag);

            // Open in place.
            var buffer = (byte[])sealedExpected.Clone();
            bool opened = keys.TryOpen(0, aad, buffer, buffer);
            if (c.Result == "invalid")
            {
                Assert.False(opened, $"{file} tc{c.TcId} opened an invalid case");
                invalid++;
                continue;
            }
            Assert.True(opened, $"{file} tc{c.TcId} failed to open");
            Assert.Equal(c.Msg, ToHex(buffer.AsSpan(0, msg.Length)));

            var sealedActual = new byte[msg.Length + 16];
            keys.Seal(0, aad, msg, sealedActual);
            Assert.Equal(ToHex(sealedExpected), ToHex(sealedActual));
            valid++;
        }
        Assert.True(valid > 0 && invalid > 0);
    }
}
