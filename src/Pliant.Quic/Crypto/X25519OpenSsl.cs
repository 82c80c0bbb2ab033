using System.Runtime.InteropServices;

namespace Pliant.Quic.Crypto;

/// <summary>
/// X25519 (RFC 7748) through the platform's libcrypto (OpenSSL 3: <c>EVP_PKEY_X25519</c> raw keys and
/// <c>EVP_PKEY_derive</c>), which .NET does not expose: about a fifth of the managed ladder's cost
/// (bench/README.md "Handshake cost"). <see cref="X25519"/> uses it when it loads, unless the
/// environment variable <c>PLIANT_X25519</c> is <c>managed</c>; the managed code stays the fallback
/// and the reference the tests compare it with (Wycheproof vectors run through both).
/// </summary>
internal static unsafe partial class X25519OpenSsl
{
    private const string Lib = "libcrypto.so.3";
    private const int EvpPkeyX25519 = 1034; // NID_X25519

    /// <summary>True when libcrypto with X25519 loaded and answered a self-test (and not disabled).</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>The public key of <paramref name="privateKey"/> (X25519(k, 9)); false on any libcrypto failure.</summary>
    public static bool TryPublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        if (privateKey.Length != X25519.KeyLength || publicKey.Length != X25519.KeyLength) return false;
        nint key;
        fixed (byte* p = privateKey) key = EVP_PKEY_new_raw_private_key(EvpPkeyX25519, 0, p, X25519.KeyLength);
        if (key == 0) return Fail();
        try
        {
            nuint length = X25519.KeyLength;
            fixed (byte* o = publicKey)
                if (EVP_PKEY_get_raw_public_key(key, o, &length) != 1 || length != X25519.KeyLength) return Fail();
            return true;
        }
        finally
        {
            EVP_PKEY_free(key);
        }
    }

    /// <summary>
    /// X25519(k, u) into <paramref name="sharedSecret"/>. False when libcrypto refuses — which it does for
    /// an all-zero result (a low-order peer key, RFC 7748 §6.1) as well as on failures: the caller then
    /// decides with the managed ladder.
    /// </summary>
    public static bool TrySharedSecret(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        if (privateKey.Length != X25519.KeyLength) return false;
        nint key;
        fixed (byte* p = privateKey) key = EVP_PKEY_new_raw_private_key(EvpPkeyX25519, 0, p, X25519.KeyLength);
        if (key == 0) return Fail();
        try
        {
            return TryDerive(key, peerPublicKey, sharedSecret);
        }
        finally
        {
            EVP_PKEY_free(key);
        }
    }

    /// <summary>
    /// An ephemeral key pair held by libcrypto: created once (its public key computed once) and used
    /// for one derivation — a TLS key share (RFC 8446 §4.2.8) costs one key generation and one ladder.
    /// </summary>
    public sealed class KeyPair : IDisposable
    {
        private nint _key;

        private KeyPair(nint key) => _key = key;

        /// <summary>A fresh key pair from <paramref name="privateKey"/> (clamped by libcrypto); null on failure.</summary>
        public static KeyPair? Create(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
        {
            if (privateKey.Length != X25519.KeyLength || publicKey.Length != X25519.KeyLength) return null;
            nint key;
            fixed (byte* p = privateKey) key = EVP_PKEY_new_raw_private_key(EvpPkeyX25519, 0, p, X25519.KeyLength);
            if (key == 0)
            {
                Fail();
                return null;
            }
            nuint length = X25519.KeyLength;
            int ok;
            fixed (byte* o = publicKey) ok = EVP_PKEY_get_raw_public_key(key, o, &length);
            if (ok != 1 || length != X25519.KeyLength)
            {
                EVP_PKEY_free(key);
                Fail();
                return null;
            }
            return new KeyPair(key);
        }

        /// <summary>The shared secret with <paramref name="peerPublicKey"/>; false when refused (see <see cref="TrySharedSecret"/>).</summary>
        public bool TryDerive(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
        {
            ObjectDisposedException.ThrowIf(_key == 0, this);
            return X25519OpenSsl.TryDerive(_key, peerPublicKey, sharedSecret);
        }

        /// <summary>Frees the libcrypto key (which clears its private key).</summary>
        public void Dispose()
        {
            var key = Interlocked.Exchange(ref _key, 0);
            if (key != 0) EVP_PKEY_free(key);
        }
    }

    private static bool TryDerive(nint key, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        if (peerPublicKey.Length != X25519.KeyLength || sharedSecret.Length != X25519.KeyLength) return false;
        nint peer = 0, ctx = 0;
        try
        {
            fixed (byte* u = peerPublicKey) peer = EVP_PKEY_new_raw_public_key(EvpPkeyX25519, 0, u, X25519.KeyLength);
            if (peer == 0) return Fail();
            ctx = EVP_PKEY_CTX_new(key, 0);
            if (ctx == 0 || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1) return Fail();
            nuint length = X25519.KeyLength;
            int ok;
            fixed (byte* s = sharedSecret) ok = EVP_PKEY_derive(ctx, s, &length);
            // OpenSSL's X25519 refuses an all-zero shared secret (RFC 7748 §6.1).
            return ok == 1 && length == X25519.KeyLength || Fail();
        }
        finally
        {
            if (ctx != 0) EVP_PKEY_CTX_free(ctx);
            if (peer != 0) EVP_PKEY_free(peer);
        }
    }

    private static bool Fail()
    {
        ERR_clear_error(); // leave no error on the thread's queue for the BCL's own OpenSSL calls
        return false;
    }

    private static bool Probe()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("PLIANT_X25519"), "managed", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            // RFC 7748 §6.1: Alice's key pair; the derived public key must match.
            ReadOnlySpan<byte> alicePrivate =
            [
                0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
                0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
            ];
            ReadOnlySpan<byte> alicePublic =
            [
                0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
                0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
            ];
            Span<byte> computed = stackalloc byte[X25519.KeyLength];
            return TryPublicKey(alicePrivate, computed) && computed.SequenceEqual(alicePublic);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [LibraryImport(Lib)]
    private static partial nint EVP_PKEY_new_raw_private_key(int type, nint engine, byte* key, nuint length);

    [LibraryImport(Lib)]
    private static partial nint EVP_PKEY_new_raw_public_key(int type, nint engine, byte* key, nuint length);

    [LibraryImport(Lib)]
    private static partial int EVP_PKEY_get_raw_public_key(nint key, byte* output, nuint* length);

    [LibraryImport(Lib)]
    private static partial nint EVP_PKEY_CTX_new(nint key, nint engine);

    [LibraryImport(Lib)]
    private static partial int EVP_PKEY_derive_init(nint ctx);

    [LibraryImport(Lib)]
    private static partial int EVP_PKEY_derive_set_peer(nint ctx, nint peer);

    [LibraryImport(Lib)]
    private static partial int EVP_PKEY_derive(nint ctx, byte* output, nuint* length);

    [LibraryImport(Lib)]
    private static partial void EVP_PKEY_CTX_free(nint ctx);

    [LibraryImport(Lib)]
    private static partial void EVP_PKEY_free(nint key);

    [LibraryImport(Lib)]
    private static partial void ERR_clear_error();
}
