using System.Security.Cryptography;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>
/// <see cref="Sha2"/> and <see cref="Hmac"/> (libcrypto's low-level SHA-2, the handshake's hashing) against the
/// BCL's SHA-256/384 and HMAC, over seeded random keys and messages split into parts at random.
/// </summary>
public class Sha2HmacTests
{
    public static TheoryData<string> Hashes => new() { "SHA256", "SHA384" };

    [Fact]
    public void TheNativePathIsUsedOnLinux()
    {
        // A silently broken P/Invoke would fall back to the BCL and hide a 5x cost: fail instead.
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("PLIANT_SHA2") is null) Assert.True(Sha2.NativeAvailable);
    }

    [Theory]
    [MemberData(nameof(Hashes))]
    public void HashesMatchTheBclForEveryLengthAndSplit(string name)
    {
        var hash = new HashAlgorithmName(name);
        var rng = new Random(17);
        int size = Sha2.HashSize(hash);
        for (int length = 0; length < 600; length += 1 + length / 8)
        {
            var data = new byte[length];
            rng.NextBytes(data);
            byte[] expected = name == "SHA256" ? SHA256.HashData(data) : SHA384.HashData(data);
            int i = rng.Next(length + 1), j = i + rng.Next(length - i + 1), k = j + rng.Next(length - j + 1);
            foreach (bool native in new[] { true, false })
            {
                var output = new byte[size];
                Sha2.HashUsing(native, hash, data.AsSpan(0, i), data.AsSpan(i, j - i), data.AsSpan(j, k - j), data.AsSpan(k), output);
                Assert.True(expected.AsSpan().SequenceEqual(output), $"{name} length {length} native {native}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Hashes))]
    public void HmacMatchesTheBclForShortLongAndOversizedKeys(string name)
    {
        var hash = new HashAlgorithmName(name);
        var rng = new Random(23);
        int size = Sha2.HashSize(hash);
        // Key lengths around the block size (64 / 128) and beyond it (RFC 2104 §2: longer keys are hashed first).
        foreach (int keyLength in new[] { 0, 1, 16, 32, 48, 63, 64, 65, 127, 128, 129, 200, 1000 })
        {
            var key = new byte[keyLength];
            rng.NextBytes(key);
            var message = new byte[rng.Next(300)];
            rng.NextBytes(message);
            byte[] expected = CryptographicOperations.HmacData(hash, key, message);
            int i = rng.Next(message.Length + 1), j = i + rng.Next(message.Length - i + 1);
            foreach (bool native in new[] { true, false })
            {
                var mac = new byte[size];
                Hmac.ComputeUsing(native, hash, key, message.AsSpan(0, i), message.AsSpan(i, j - i), message.AsSpan(j), mac);
                Assert.True(expected.AsSpan().SequenceEqual(mac), $"{name} key {keyLength} native {native}");
            }
        }
    }

    [Fact]
    public void WrongHashesAndShortOutputsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Sha2.Hash(HashAlgorithmName.SHA512, [1], [], [], new byte[64]));
        Assert.Throws<ArgumentException>(() => Sha2.Hash(HashAlgorithmName.SHA256, [1], [], [], new byte[31]));
        Assert.Throws<ArgumentException>(() => Hmac.Compute(HashAlgorithmName.SHA384, [1], [2], new byte[47]));
        Assert.Throws<ArgumentException>(() => Hkdf.Expand(HashAlgorithmName.SHA256, new byte[31], [], new byte[16])); // PRK < HashLen
        Assert.Throws<ArgumentException>(() => Hkdf.Expand(HashAlgorithmName.SHA256, new byte[32], [], new byte[255 * 32 + 1]));
    }

    [Fact]
    public void TheSecureSourceNeverHandsOutTheSameBytesTwice()
    {
        // Small draws come from a per-thread block of CSPRNG output: across many blocks no 16-byte value repeats,
        // and draws larger than the block's share go straight to the operating system.
        var seen = new HashSet<string>();
        Span<byte> b = stackalloc byte[16];
        for (int i = 0; i < 5000; i++)
        {
            RandomSource.Secure.Fill(b);
            Assert.True(seen.Add(Convert.ToHexString(b)));
        }
        var big = new byte[4096];
        RandomSource.Secure.Fill(big);
        Assert.True(big.Distinct().Count() > 200);
    }
}
