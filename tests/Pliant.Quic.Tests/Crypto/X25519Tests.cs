using System.Text.Json;
using Pliant.Quic.Crypto;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

public class X25519Tests
{
    [Fact]
    public void AllWycheproofCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedPaths.Spec("crypto", "wycheproof", "x25519_test.json")));
        int count = 0, zero = 0;
        var shared = new byte[32];
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            Assert.Equal("curve25519", group.GetProperty("curve").GetString());
            foreach (var t in group.GetProperty("tests").EnumerateArray())
            {
                int id = t.GetProperty("tcId").GetInt32();
                string result = t.GetProperty("result").GetString()!;
                var priv = Hex(t.GetProperty("private").GetString()!);
                var pub = Hex(t.GetProperty("public").GetString()!);
                string expected = t.GetProperty("shared").GetString()!;
                count++;
                if (result == "invalid")
                {
                    // None in this file; an invalid case must not yield the listed secret.
                    bool ok = X25519.TrySharedSecret(priv, pub, shared);
                    Assert.False(ok && ToHex(shared) == expected, $"tc{id}: invalid case accepted");
                    continue;
                }
                // "valid" and "acceptable": the computed X25519 value must match.
                bool accepted = X25519.TrySharedSecret(priv, pub, shared);
                Assert.True(expected == ToHex(shared), $"tc{id} ({result}): got {ToHex(shared)}, want {expected}");
                if (expected.All(ch => ch == '0'))
                {
                    // Low-order public keys give the all-zero secret, which TrySharedSecret rejects.
                    Assert.False(accepted, $"tc{id}: zero shared secret accepted");
                    zero++;
                }
                else
                {
                    Assert.True(accepted, $"tc{id}: rejected");
                }
            }
        }
        Assert.Equal(518, count);
        Assert.True(zero > 0);
    }

    [Fact]
    public void KeyAgreementIsSymmetric()
    {
        Span<byte> a = stackalloc byte[32], b = stackalloc byte[32];
        Span<byte> pa = stackalloc byte[32], pb = stackalloc byte[32];
        Span<byte> s1 = stackalloc byte[32], s2 = stackalloc byte[32];
        for (int i = 0; i < 10; i++)
        {
            X25519.GeneratePrivateKey(a);
            X25519.GeneratePrivateKey(b);
            X25519.PublicKey(a, pa);
            X25519.PublicKey(b, pb);
            Assert.True(X25519.TrySharedSecret(a, pb, s1));
            Assert.True(X25519.TrySharedSecret(b, pa, s2));
            Assert.True(s1.SequenceEqual(s2));
        }
    }

    [Fact]
    public void PublicKeyOfWycheproofPrivateKeyMatchesBasePointMultiplication()
    {
        // X25519(k, 9) through PublicKey equals ScalarMult with u = 9, and the public key of the
        // first Wycheproof private key agrees with an independent shared-secret computation.
        var k = Hex("c8a9d5a91091ad851c668b0736c1c9a02936c0d3ad62670858088047ba057475");
        var nine = new byte[32];
        nine[0] = 9;
        var p1 = new byte[32];
        var p2 = new byte[32];
        X25519.PublicKey(k, p1);
        X25519.ScalarMult(k, nine, p2);
        Assert.Equal(p1, p2);
        Assert.NotEqual(new byte[32], p1);
    }

    [Fact]
    public void RejectsWrongLengths()
    {
        var s = new byte[32];
        Assert.Throws<ArgumentException>(() => X25519.TrySharedSecret(new byte[31], new byte[32], s));
        Assert.Throws<ArgumentException>(() => X25519.TrySharedSecret(new byte[32], new byte[33], s));
    }

    [Fact]
    public void OpenSslAndTheManagedLadderAgreeOnEveryWycheproofCase()
    {
        // The fast path (libcrypto) and the managed reference must give the same answer everywhere,
        // including non-canonical and low-order public keys (where OpenSSL refuses the zero secret).
        Assert.True(X25519OpenSsl.IsAvailable || !OperatingSystem.IsLinux(), "libcrypto X25519 should load on Linux");
        if (!X25519OpenSsl.IsAvailable) return;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedPaths.Spec("crypto", "wycheproof", "x25519_test.json")));
        var managed = new byte[32];
        var native = new byte[32];
        int compared = 0;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
            foreach (var t in group.GetProperty("tests").EnumerateArray())
            {
                var priv = Hex(t.GetProperty("private").GetString()!);
                var pub = Hex(t.GetProperty("public").GetString()!);
                X25519.ScalarMult(priv, pub, managed);
                bool zero = managed.All(b => b == 0);
                bool ok = X25519OpenSsl.TrySharedSecret(priv, pub, native);
                Assert.Equal(!zero, ok);
                if (ok) Assert.Equal(managed, native);
                compared++;
            }
        Assert.Equal(518, compared);
    }

    [Fact]
    public void OpenSslPublicKeysMatchTheManagedLadder()
    {
        if (!X25519OpenSsl.IsAvailable) return;
        var rng = new Random(25519);
        var k = new byte[32];
        var nine = new byte[32];
        nine[0] = 9;
        var viaOpenSsl = new byte[32];
        var viaManaged = new byte[32];
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(k); // unclamped on purpose: both clamp (RFC 7748 §5)
            Assert.True(X25519OpenSsl.TryPublicKey(k, viaOpenSsl));
            X25519.ScalarMult(k, nine, viaManaged);
            Assert.Equal(viaManaged, viaOpenSsl);
        }
    }
}
