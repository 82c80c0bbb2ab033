using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Pliant.Quic.Crypto;

/// <summary>
/// SHA-256 and SHA-384 (FIPS 180-4), the two hashes of TLS 1.3's QUIC cipher suites, over several
/// input parts at once. On Linux they run through libcrypto's low-level digest functions
/// (<c>SHA256_Init/Update/Final</c>, <c>SHA384_*</c>): the same assembly (SHA-NI, AVX2) as the BCL's
/// <see cref="SHA256"/>, without OpenSSL 3's per-call algorithm fetch, context allocation, locks and
/// error-queue handling, which cost 5–10x the hashing itself for the short inputs of a handshake
/// (bench/README.md "Handshake cost"). Elsewhere, or when the environment variable
/// <c>PLIANT_SHA2</c> is <c>bcl</c>, the BCL's <see cref="IncrementalHash"/> computes the same values.
/// </summary>
/// <remarks>Every function is stateless and thread-safe: the digest context lives on the caller's stack.</remarks>
internal static unsafe partial class Sha2
{
    private const string Lib = "libcrypto.so.3";

    /// <summary>Bytes reserved for a native digest context: ≥ sizeof(SHA512_CTX) = 216 (SHA256_CTX is 112).</summary>
    private const int ContextSize = 256;

    /// <summary>Largest block size of the supported hashes (SHA-384: 128 bytes), for HMAC pads.</summary>
    public const int MaxBlockSize = 128;

    /// <summary>Largest output of the supported hashes (SHA-384: 48 bytes).</summary>
    public const int MaxHashSize = 48;

    /// <summary>True when the native functions loaded and passed their self-test (and were not disabled).</summary>
    public static bool NativeAvailable { get; } = Probe();

    /// <summary>True for the hashes this class computes (SHA-256, SHA-384).</summary>
    public static bool Supports(HashAlgorithmName hash) => hash == HashAlgorithmName.SHA256 || hash == HashAlgorithmName.SHA384;

    /// <summary>Output length of <paramref name="hash"/> in bytes.</summary>
    public static int HashSize(HashAlgorithmName hash) => hash == HashAlgorithmName.SHA384 ? 48 : 32;

    /// <summary>Block length of <paramref name="hash"/> in bytes (the HMAC pad length).</summary>
    public static int BlockSize(HashAlgorithmName hash) => hash == HashAlgorithmName.SHA384 ? 128 : 64;

    /// <summary>hash(a || b || c) into <paramref name="output"/> (at least <see cref="HashSize"/> bytes).</summary>
    /// <exception cref="ArgumentException">The hash is neither SHA-256 nor SHA-384, or the output is too short.</exception>
    public static void Hash(HashAlgorithmName hash, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, Span<byte> output) =>
        Hash(hash, a, b, c, [], output);

    /// <summary>hash(a || b || c || d) into <paramref name="output"/> (at least <see cref="HashSize"/> bytes).</summary>
    /// <exception cref="ArgumentException">The hash is neither SHA-256 nor SHA-384, or the output is too short.</exception>
    public static void Hash(HashAlgorithmName hash, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d, Span<byte> output) =>
        HashUsing(NativeAvailable, hash, a, b, c, d, output);

    /// <summary><see cref="Hash(HashAlgorithmName, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> through libcrypto (<paramref name="native"/>, if available) or the BCL: the tests compare the two.</summary>
    internal static void HashUsing(bool native, HashAlgorithmName hash, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d, Span<byte> output)
    {
        if (!Supports(hash)) throw new ArgumentException($"{hash.Name} is not SHA-256 or SHA-384", nameof(hash));
        if (output.Length < HashSize(hash)) throw new ArgumentException("the output is shorter than the hash", nameof(output));
        if (!native || !NativeAvailable)
        {
            using var h = IncrementalHash.CreateHash(hash);
            h.AppendData(a);
            h.AppendData(b);
            h.AppendData(c);
            h.AppendData(d);
            h.GetHashAndReset(output);
            return;
        }
        byte* ctx = stackalloc byte[ContextSize];
        bool sha384 = hash == HashAlgorithmName.SHA384;
        int ok = sha384 ? SHA384_Init(ctx) : SHA256_Init(ctx);
        ok &= Update(sha384, ctx, a) & Update(sha384, ctx, b) & Update(sha384, ctx, c) & Update(sha384, ctx, d);
        fixed (byte* o = output) ok &= sha384 ? SHA384_Final(o, ctx) : SHA256_Final(o, ctx);
        new Span<byte>(ctx, ContextSize).Clear(); // the context held key material for HMAC
        if (ok != 1) throw new CryptographicException("libcrypto SHA-2 failed");
    }

    private static int Update(bool sha384, byte* ctx, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return 1;
        fixed (byte* d = data) return sha384 ? SHA384_Update(ctx, d, (nuint)data.Length) : SHA256_Update(ctx, d, (nuint)data.Length);
    }

    private static bool Probe()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("PLIANT_SHA2"), "bcl", StringComparison.OrdinalIgnoreCase)) return false;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // FIPS 180-4 examples: SHA-256("abc") and SHA-384("abc"), computed in two parts.
            byte* ctx = stackalloc byte[ContextSize];
            Span<byte> out256 = stackalloc byte[32], out384 = stackalloc byte[48];
            int ok = SHA256_Init(ctx);
            fixed (byte* ab = "ab"u8) fixed (byte* c = "c"u8) fixed (byte* o = out256)
                ok &= SHA256_Update(ctx, ab, 2) & SHA256_Update(ctx, c, 1) & SHA256_Final(o, ctx);
            ok &= SHA384_Init(ctx);
            fixed (byte* ab = "ab"u8) fixed (byte* c = "c"u8) fixed (byte* o = out384)
                ok &= SHA384_Update(ctx, ab, 2) & SHA384_Update(ctx, c, 1) & SHA384_Final(o, ctx);
            return ok == 1
                && out256.SequenceEqual(Convert.FromHexString("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"))
                && out384.SequenceEqual(Convert.FromHexString(
                    "CB00753F45A35E8BB5A03D699AC65007272C32AB0EDED1631A8B605A43FF5BED8086072BA1E7CC2358BAECA134C825A7"));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [LibraryImport(Lib)]
    private static partial int SHA256_Init(byte* ctx);

    [LibraryImport(Lib)]
    private static partial int SHA256_Update(byte* ctx, byte* data, nuint length);

    [LibraryImport(Lib)]
    private static partial int SHA256_Final(byte* output, byte* ctx);

    [LibraryImport(Lib)]
    private static partial int SHA384_Init(byte* ctx);

    [LibraryImport(Lib)]
    private static partial int SHA384_Update(byte* ctx, byte* data, nuint length);

    [LibraryImport(Lib)]
    private static partial int SHA384_Final(byte* output, byte* ctx);
}
