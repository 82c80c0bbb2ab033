using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Pliant.Quic.Crypto.Intrinsics;

namespace Pliant.Quic.Crypto;

/// <summary>
/// AES-GCM with a 16-byte tag for what the endpoint seals for itself (address tokens, session tickets):
/// the AES-NI/PCLMULQDQ code with its key schedule expanded once (no OpenSSL context per call — each BCL
/// <see cref="AesGcm"/> call costs a few EVP set-ups, a dozen per connection before this) when the CPU has
/// it and <see cref="PacketKeys.IntrinsicsByDefault"/> allows, the BCL otherwise. Thread-safe.
/// </summary>
internal sealed class AesGcmAead : IDisposable
{
    /// <summary>The tag length.</summary>
    public const int TagLength = 16;

    private static readonly ConditionalWeakTable<byte[], AesGcmAead> ByKey = new();

    private readonly AesGcmIntrinsics? _fast;
    private readonly AesGcm? _bcl;
    private readonly Lock _lock = new();

    /// <summary>A cipher under <paramref name="key"/> (16, 24 or 32 bytes; AES-192 always runs on the BCL).</summary>
    public AesGcmAead(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 24 or 32)) throw new ArgumentException("the key is 16, 24 or 32 bytes", nameof(key));
        if (PacketKeys.IntrinsicsByDefault && key.Length != 24) _fast = new AesGcmIntrinsics(key);
        else _bcl = new AesGcm(key, TagLength);
    }

    /// <summary>
    /// The cipher for a long-lived key array (a server's ticket key), created once per array: the array's
    /// contents must not change afterwards.
    /// </summary>
    public static AesGcmAead For(byte[] key) => ByKey.GetValue(key, static k => new AesGcmAead(k));

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> and writes the tag.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> aad = default)
    {
        if (_fast is not null)
        {
            _fast.Seal(nonce, plaintext, ciphertext, tag, aad);
            return;
        }
        lock (_lock) _bcl!.Encrypt(nonce, plaintext, ciphertext, tag, aad);
    }

    /// <summary>Decrypts and verifies; false (and <paramref name="plaintext"/> cleared) when the tag does not match.</summary>
    public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad = default)
    {
        if (_fast is not null) return _fast.Open(nonce, ciphertext, tag, plaintext, aad);
        try
        {
            lock (_lock) _bcl!.Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext.Clear();
            return false;
        }
    }

    /// <summary>Releases the BCL object (the managed key schedule needs nothing).</summary>
    public void Dispose() => _bcl?.Dispose();
}
