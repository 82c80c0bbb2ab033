using System.Buffers.Binary;
using System.Security.Cryptography;
using Pliant.Quic.Crypto.Intrinsics;

namespace Pliant.Quic.Crypto;

/// <summary>
/// Packet protection keys for one direction at one encryption level (and, for 1-RTT, one key phase):
/// the AEAD key and IV (RFC 9001 §5.3) and the header protection key (RFC 9001 §5.4).
/// </summary>
/// <remarks>
/// <para>The AEAD and header-protection cipher objects are created once and reused, so sealing, opening and
/// computing a header-protection mask do not allocate. An instance is not safe for concurrent use
/// from several threads (the driver serialises calls per endpoint).</para>
/// <para>AES suites run on a managed AES-GCM and AES-ECB built on AES-NI and PCLMULQDQ
/// (<see cref="AesGcmIntrinsics"/>, <see cref="AesHeaderProtection"/>) when the CPU has them: no P/Invoke and
/// no per-call OpenSSL context set-up. Otherwise, or when the environment variable <c>PLIANT_CRYPTO</c> is
/// <c>openssl</c> (read once per process; for comparisons), they use the BCL's <see cref="AesGcm"/> and an
/// AES-ECB transform (OpenSSL on Linux). ChaCha20-Poly1305 always uses the BCL.</para>
/// </remarks>
public sealed class PacketKeys : IDisposable
{
    /// <summary>AEAD authentication tag length of every QUIC cipher suite (RFC 9001 §5.3).</summary>
    public const int TagLength = 16;

    /// <summary>AEAD nonce/IV length (RFC 9001 §5.3: the IV is 12 bytes for all TLS 1.3 AEADs).</summary>
    public const int IvLength = 12;

    /// <summary>Length of the ciphertext sample used for header protection (RFC 9001 §5.4.2).</summary>
    public const int SampleLength = 16;

    /// <summary>Length of the header protection mask that is used (1 byte for the first byte + up to 4 PN bytes).</summary>
    public const int MaskLength = 5;

    private readonly byte[] _secret;
    private readonly byte[] _key;
    private readonly byte[] _iv;
    private readonly byte[] _hpKey;
    // AES suites, intrinsic path: key schedule and GHASH powers expanded once per key.
    private readonly AesGcmIntrinsics? _fastGcm;
    private readonly AesHeaderProtection? _fastHp;
    // AES suites, OpenSSL fallback (not created when the intrinsic path is used).
    private readonly AesGcm? _aesGcm;
    private readonly ChaCha20Poly1305? _chacha;
    private readonly Aes? _hpAes;
    private readonly ICryptoTransform? _hpEcb;
    // Scratch blocks for AES-ECB: ICryptoTransform works on arrays; reusing them avoids allocation.
    private readonly byte[]? _ecbIn;
    private readonly byte[]? _ecbOut;
    private bool _disposed;
    // Set for a later key phase's keys, whose header protection key is their predecessor's (NextGeneration).
    private bool _sharedHpKey;

    /// <summary>
    /// Whether AES suites use the AES-NI/PCLMULQDQ path: the CPU supports it and <c>PLIANT_CRYPTO</c> is not
    /// <c>openssl</c> (that value forces the OpenSSL-backed BCL classes, to compare the two).
    /// </summary>
    internal static readonly bool IntrinsicsByDefault = AesGcmIntrinsics.IsSupported && AesHeaderProtection.IsSupported
        && !string.Equals(Environment.GetEnvironmentVariable("PLIANT_CRYPTO"), "openssl", StringComparison.OrdinalIgnoreCase);

    private PacketKeys(CipherSuite suite, uint version, byte[] secret, byte[] key, byte[] iv, byte[] hpKey,
        bool useIntrinsics)
    {
        Suite = suite;
        Version = version;
        _secret = secret;
        _key = key;
        _iv = iv;
        _hpKey = hpKey;
        if (key.Length != suite.KeyLength() || hpKey.Length != suite.KeyLength())
            throw new ArgumentException($"{suite} keys are {suite.KeyLength()} bytes", nameof(key));
        if (iv.Length != IvLength) throw new ArgumentException("the IV is 12 bytes", nameof(iv));

        switch (suite)
        {
            case CipherSuite.Aes128GcmSha256:
            case CipherSuite.Aes256GcmSha384:
                if (useIntrinsics && AesGcmIntrinsics.IsSupported)
                {
                    _fastGcm = new AesGcmIntrinsics(_key);
                    // RFC 9001 §5.4.3: AES-128 for AES-128-GCM, AES-256 for AES-256-GCM (hp key length).
                    _fastHp = new AesHeaderProtection(_hpKey);
                    break;
                }
                _aesGcm = new AesGcm(_key, TagLength);
                _hpAes = Aes.Create();
                _hpAes.Key = _hpKey;
                _hpAes.Mode = CipherMode.ECB;
                _hpAes.Padding = PaddingMode.None;
                // RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample). Aes.EncryptEcb allocates per call in the BCL,
                // so a reusable ECB transform (no chaining state, no padding) is kept instead.
                _hpEcb = _hpAes.CreateEncryptor();
                _ecbIn = new byte[SampleLength];
                _ecbOut = new byte[SampleLength];
                break;
            case CipherSuite.ChaCha20Poly1305Sha256:
                if (!ChaCha20Poly1305.IsSupported)
                    throw new PlatformNotSupportedException("ChaCha20-Poly1305 is not supported on this platform");
                _chacha = new ChaCha20Poly1305(_key);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(suite), suite, "unknown cipher suite");
        }
    }

    /// <summary>
    /// Derives the packet protection key, IV and header protection key from a traffic
    /// <paramref name="secret"/> (RFC 9001 §5.1; labels of RFC 9369 §3.3.2 for QUIC v2).
    /// </summary>
    public static PacketKeys Create(CipherSuite suite, ReadOnlySpan<byte> secret, uint version)
    {
        if (secret.Length != suite.HashLength())
            throw new ArgumentException($"a {suite} secret is {suite.HashLength()} bytes", nameof(secret));
        return Derive(suite, version, secret.ToArray(), null);
    }

    private static PacketKeys Derive(CipherSuite suite, uint version, byte[] secret, byte[]? hpKey)
    {
        var hash = suite.Hash();
        int keyLength = suite.KeyLength();
        // RFC 9001 §5.1 / RFC 9369 §3.3.2: key = HKDF-Expand-Label(secret, "quic key", "", key_length), etc.
        var key = HkdfLabel.Expand(hash, secret, KeyLabel(version), default, keyLength);
        var iv = HkdfLabel.Expand(hash, secret, IvLabel(version), default, IvLength);
        // RFC 9001 §5.4: the header protection key has the AEAD key's length (16 for AES-128, 32 otherwise)
        // and is not changed by a key update (§6.1).
        bool shared = hpKey is not null;
        hpKey ??= HkdfLabel.Expand(hash, secret, HpLabel(version), default, keyLength);
        return new PacketKeys(suite, version, secret, key, iv, hpKey, IntrinsicsByDefault) { _sharedHpKey = shared };
    }

    /// <summary>
    /// Re-derives these keys in place from another <paramref name="secret"/> of the same suite and version: afterwards
    /// they are what <see cref="Create"/> would return for it, and nothing was allocated (RFC 9001 §5.1 labels). The
    /// Initial inspector opens every junk Initial under keys of its own Destination Connection ID; one reusable key
    /// object keeps a flood from producing ~1.5 KB of garbage per datagram. False, and nothing changed, for keys this
    /// cannot apply to: not on the AES-NI path, disposed, raw key material, a later key phase, or a secret of another
    /// length. Not thread-safe: no other call may use these keys meanwhile.
    /// </summary>
    internal bool TryRekey(ReadOnlySpan<byte> secret)
    {
        if (_disposed || _fastGcm is null || _fastHp is null || _sharedHpKey || _secret.Length == 0 || secret.Length != _secret.Length) return false;
        var hash = Suite.Hash();
        secret.CopyTo(_secret);
        // RFC 9001 §5.1 / RFC 9369 §3.3.2: the same three labels as Derive, into the same arrays.
        HkdfLabel.Expand(hash, secret, KeyLabel(Version), default, _key);
        HkdfLabel.Expand(hash, secret, IvLabel(Version), default, _iv);
        HkdfLabel.Expand(hash, secret, HpLabel(Version), default, _hpKey);
        _fastGcm.Rekey(_key);
        _fastHp.Rekey(_hpKey);
        return true;
    }

    /// <summary>
    /// Keys from raw key material instead of a secret (tests against AEAD vectors; <see cref="Secret"/> is
    /// empty and <see cref="NextGeneration"/> is not available).
    /// </summary>
    /// <param name="suite">The cipher suite.</param>
    /// <param name="version">The QUIC version (labels of a later key update).</param>
    /// <param name="key">The AEAD key.</param>
    /// <param name="iv">The 12-byte AEAD IV.</param>
    /// <param name="hpKey">The header protection key.</param>
    /// <param name="useIntrinsics">AES suites: true for the AES-NI path where supported, false for the OpenSSL
    /// fallback; null for the process default (<see cref="IntrinsicsByDefault"/>).</param>
    internal static PacketKeys FromKeyMaterial(CipherSuite suite, uint version, ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> iv, ReadOnlySpan<byte> hpKey, bool? useIntrinsics = null) =>
        new(suite, version, [], key.ToArray(), iv.ToArray(), hpKey.ToArray(), useIntrinsics ?? IntrinsicsByDefault);

    /// <summary>True when these keys run on the AES-NI/PCLMULQDQ path (AES suites only).</summary>
    internal bool UsesIntrinsics => _fastGcm is not null;

    /// <summary>The cipher suite.</summary>
    public CipherSuite Suite { get; }

    /// <summary>The QUIC version whose HKDF labels were used.</summary>
    public uint Version { get; }

    /// <summary>The traffic secret these keys were derived from.</summary>
    public ReadOnlySpan<byte> Secret => _secret;

    /// <summary>The AEAD key.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>The AEAD IV.</summary>
    public ReadOnlySpan<byte> Iv => _iv;

    /// <summary>The header protection key.</summary>
    public ReadOnlySpan<byte> HeaderProtectionKey => _hpKey;

    /// <summary>"quic key" (v1) or "quicv2 key" (v2, RFC 9369 §3.3.2).</summary>
    public static string KeyLabel(uint version) => QuicVersion.IsV2(version) ? "quicv2 key" : "quic key";

    /// <summary>"quic iv" (v1) or "quicv2 iv" (v2, RFC 9369 §3.3.2).</summary>
    public static string IvLabel(uint version) => QuicVersion.IsV2(version) ? "quicv2 iv" : "quic iv";

    /// <summary>"quic hp" (v1) or "quicv2 hp" (v2, RFC 9369 §3.3.2).</summary>
    public static string HpLabel(uint version) => QuicVersion.IsV2(version) ? "quicv2 hp" : "quic hp";

    /// <summary>"quic ku" (v1) or "quicv2 ku" (v2, RFC 9369 §3.3.2).</summary>
    // RFC 9369 §3.3.2; the draft (0x709a50c4) kept v1's "quic ku" (ngtcp2 0.12 has no "quicv2 ku").
    public static string KeyUpdateLabel(uint version) => version == QuicVersion.V2 ? "quicv2 ku" : "quic ku";

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> for packet number <paramref name="pn"/> with
    /// <paramref name="header"/> as associated data; writes ciphertext followed by the 16-byte tag into
    /// <paramref name="ciphertextWithTag"/> (at least plaintext length + 16). In place is allowed when
    /// the ciphertext starts where the plaintext starts.
    /// </summary>
    public void Seal(ulong pn, ReadOnlySpan<byte> header, ReadOnlySpan<byte> plaintext, Span<byte> ciphertextWithTag)
    {
        Span<byte> nonce = stackalloc byte[IvLength];
        MakeNonce(pn, nonce);
        SealWithNonce(nonce, header, plaintext, ciphertextWithTag);
    }

    /// <summary>
    /// <see cref="Seal(ulong, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> for a 1-RTT packet
    /// of a multipath connection: the nonce also carries <paramref name="pathId"/>
    /// (draft-ietf-quic-multipath-21 §2.4); path ID 0 gives the same nonce as the single-path overload.
    /// </summary>
    public void Seal(uint pathId, ulong pn, ReadOnlySpan<byte> header, ReadOnlySpan<byte> plaintext, Span<byte> ciphertextWithTag)
    {
        Span<byte> nonce = stackalloc byte[IvLength];
        PacketNonce.BuildMultipath(_iv, pathId, pn, nonce);
        SealWithNonce(nonce, header, plaintext, ciphertextWithTag);
    }

    private void SealWithNonce(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> header, ReadOnlySpan<byte> plaintext, Span<byte> ciphertextWithTag)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ciphertextWithTag.Length < plaintext.Length + TagLength)
            throw new ArgumentException("destination too short for ciphertext and tag", nameof(ciphertextWithTag));
        var ciphertext = ciphertextWithTag[..plaintext.Length];
        var tag = ciphertextWithTag.Slice(plaintext.Length, TagLength);
        if (_fastGcm is not null) _fastGcm.Seal(nonce, plaintext, ciphertext, tag, header);
        else if (_aesGcm is not null) _aesGcm.Encrypt(nonce, plaintext, ciphertext, tag, header);
        else _chacha!.Encrypt(nonce, plaintext, ciphertext, tag, header);
    }

    /// <summary>
    /// Authenticates and decrypts <paramref name="ciphertextWithTag"/> for packet number <paramref name="pn"/>
    /// with <paramref name="header"/> as associated data into <paramref name="plaintext"/> (at least
    /// ciphertext length − 16 bytes; may be the same memory as the ciphertext). Returns false when the
    /// input is shorter than a tag or fails authentication; the plaintext region is then unspecified.
    /// </summary>
    public bool TryOpen(ulong pn, ReadOnlySpan<byte> header, ReadOnlySpan<byte> ciphertextWithTag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[IvLength];
        MakeNonce(pn, nonce);
        return TryOpenWithNonce(nonce, header, ciphertextWithTag, plaintext);
    }

    /// <summary>
    /// <see cref="TryOpen(ulong, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> for a 1-RTT
    /// packet of a multipath connection: the nonce also carries <paramref name="pathId"/>
    /// (draft-ietf-quic-multipath-21 §2.4); path ID 0 gives the same nonce as the single-path overload.
    /// </summary>
    public bool TryOpen(uint pathId, ulong pn, ReadOnlySpan<byte> header, ReadOnlySpan<byte> ciphertextWithTag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[IvLength];
        PacketNonce.BuildMultipath(_iv, pathId, pn, nonce);
        return TryOpenWithNonce(nonce, header, ciphertextWithTag, plaintext);
    }

    private bool TryOpenWithNonce(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> header, ReadOnlySpan<byte> ciphertextWithTag, Span<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ciphertextWithTag.Length < TagLength) return false;
        int length = ciphertextWithTag.Length - TagLength;
        if (plaintext.Length < length)
            throw new ArgumentException("destination too short for the plaintext", nameof(plaintext));
        var ciphertext = ciphertextWithTag[..length];
        var tag = ciphertextWithTag[length..];
        // The intrinsic path zeroes the plaintext on a mismatch (the one-pass variant decrypts while it verifies).
        if (_fastGcm is not null) return _fastGcm.Open(nonce, ciphertext, tag, plaintext[..length], header);
        try
        {
            if (_aesGcm is not null) _aesGcm.Decrypt(nonce, ciphertext, tag, plaintext[..length], header);
            else _chacha!.Decrypt(nonce, ciphertext, tag, plaintext[..length], header);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    /// <summary>
    /// Computes the 5-byte header protection mask from a 16-byte ciphertext sample:
    /// AES-ECB (RFC 9001 §5.4.3) or ChaCha20 (RFC 9001 §5.4.4).
    /// </summary>
    public void HeaderProtectionMask(ReadOnlySpan<byte> sample16, Span<byte> mask5)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sample16.Length < SampleLength) throw new ArgumentException("the sample is 16 bytes", nameof(sample16));
        if (mask5.Length < MaskLength) throw new ArgumentException("the mask is 5 bytes", nameof(mask5));
        if (_fastHp is not null)
        {
            _fastHp.Mask(sample16, mask5); // RFC 9001 §5.4.3: AES-ECB(hp_key, sample)[0..5]
        }
        else if (_hpEcb is not null)
        {
            sample16[..SampleLength].CopyTo(_ecbIn);
            _hpEcb.TransformBlock(_ecbIn!, 0, SampleLength, _ecbOut!, 0);
            _ecbOut.AsSpan(0, MaskLength).CopyTo(mask5);
        }
        else
        {
            // RFC 9001 §5.4.4: counter = sample[0..3] (little-endian), nonce = sample[4..15];
            // mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}) = the first 5 key-stream bytes.
            uint counter = BinaryPrimitives.ReadUInt32LittleEndian(sample16);
            Span<byte> block = stackalloc byte[ChaCha20Block.BlockSize];
            ChaCha20Block.Compute(_hpKey, counter, sample16.Slice(4, 12), block);
            block[..MaskLength].CopyTo(mask5);
        }
    }

    /// <summary>
    /// The keys of the next key phase: secret_&lt;n+1&gt; = HKDF-Expand-Label(secret_&lt;n&gt;, "quic ku", "", Hash.length)
    /// (RFC 9001 §6.1; "quicv2 ku" for v2, RFC 9369 §3.3.2). The header protection key is kept.
    /// </summary>
    public PacketKeys NextGeneration()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_secret.Length == 0) throw new InvalidOperationException("keys without a secret cannot be updated");
        var next = HkdfLabel.Expand(Suite.Hash(), _secret, KeyUpdateLabel(Version), default, Suite.HashLength());
        return Derive(Suite, Version, next, _hpKey);
    }

    /// <summary>Releases the cipher objects and clears the key material held here.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _fastGcm?.Clear();
        _fastHp?.Clear();
        _aesGcm?.Dispose();
        _chacha?.Dispose();
        _hpEcb?.Dispose();
        _hpAes?.Dispose();
        CryptographicOperations.ZeroMemory(_key);
        CryptographicOperations.ZeroMemory(_iv);
        CryptographicOperations.ZeroMemory(_secret);
        // _hpKey may be shared with other generations (NextGeneration), so it is left as is.
    }

    // RFC 9001 §5.3: the 62-bit packet number, left-padded with zeros to the IV size, XORed with the IV.
    private void MakeNonce(ulong pn, Span<byte> nonce)
    {
        _iv.CopyTo(nonce);
        ulong tail = BinaryPrimitives.ReadUInt64BigEndian(nonce[4..]);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], tail ^ pn);
    }
}
