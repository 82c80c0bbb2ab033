using System.Security.Cryptography;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tests.Crypto;

/// <summary><see cref="AesGcmAead"/> (tokens, tickets) agrees with the BCL's AES-GCM both ways and refuses tampering.</summary>
public class AesGcmAeadTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void SealsAsTheBclDoesAndOpensOnlyWhatItSealed(int keyLength)
    {
        var rng = new Random(keyLength);
        var key = new byte[keyLength];
        rng.NextBytes(key);
        var aead = AesGcmAead.For(key);
        Assert.Same(aead, AesGcmAead.For(key)); // one per key array
        using var bcl = new AesGcm(key, 16);
        foreach (int length in new[] { 0, 1, 15, 16, 17, 100, 1000 })
        {
            byte[] nonce = new byte[12], plain = new byte[length], aad = new byte[rng.Next(20)];
            rng.NextBytes(nonce);
            rng.NextBytes(plain);
            rng.NextBytes(aad);
            byte[] ct = new byte[length], tag = new byte[16], ct2 = new byte[length], tag2 = new byte[16];
            aead.Seal(nonce, plain, ct, tag, aad);
            bcl.Encrypt(nonce, plain, ct2, tag2, aad);
            Assert.Equal(ct2, ct);
            Assert.Equal(tag2, tag);

            var back = new byte[length];
            Assert.True(aead.Open(nonce, ct, tag, back, aad));
            Assert.Equal(plain, back);
            tag[rng.Next(16)] ^= 1;
            Assert.False(aead.Open(nonce, ct, tag, back, aad));
            Assert.All(back, b => Assert.Equal(0, b));
        }
    }
}
