using System.Security.Cryptography;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tls;

/// <summary>One side of an (EC)DHE key exchange for a <see cref="NamedGroup"/> (RFC 8446 §4.2.8).</summary>
internal interface IKeyExchange : IDisposable
{
    NamedGroup Group { get; }

    /// <summary>Our key_exchange bytes.</summary>
    byte[] PublicKey { get; }

    /// <summary>The shared secret with the peer's key_exchange; throws illegal_parameter for an invalid key.</summary>
    byte[] DeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey);
}

internal static class KeyExchange
{
    public static IKeyExchange Create(NamedGroup group) => group switch
    {
        NamedGroup.Secp256r1 => new P256KeyExchange(),
        NamedGroup.X25519 => new X25519KeyExchange(),
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    public static bool IsSupported(ushort group) => group is (ushort)NamedGroup.Secp256r1 or (ushort)NamedGroup.X25519;
}

/// <summary>secp256r1 with an uncompressed point 0x04 || X || Y (RFC 8446 §4.2.8.2).</summary>
internal sealed class P256KeyExchange : IKeyExchange
{
    private readonly ECDiffieHellman _key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    public P256KeyExchange()
    {
        var p = _key.ExportParameters(false);
        PublicKey = new byte[65];
        PublicKey[0] = 4;
        p.Q.X!.CopyTo(PublicKey, 1 + 32 - p.Q.X!.Length);
        p.Q.Y!.CopyTo(PublicKey, 33 + 32 - p.Q.Y!.Length);
    }

    public NamedGroup Group => NamedGroup.Secp256r1;

    public byte[] PublicKey { get; }

    public byte[] DeriveSharedSecret(ReadOnlySpan<byte> peer)
    {
        if (peer.Length != 65 || peer[0] != 4)
            throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: secp256r1 point must be 65 bytes, uncompressed");
        ECDiffieHellman peerKey;
        try
        {
            // Importing validates that the point is on the curve (RFC 8446 §4.2.8.2).
            peerKey = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = peer.Slice(1, 32).ToArray(), Y = peer.Slice(33, 32).ToArray() },
            });
        }
        catch (CryptographicException)
        {
            throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: secp256r1 point not on the curve");
        }
        using (peerKey)
        {
            try
            {
                return _key.DeriveRawSecretAgreement(peerKey.PublicKey);
            }
            catch (CryptographicException)
            {
                throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: secp256r1 agreement failed");
            }
        }
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>
/// X25519 (RFC 7748): the key pair lives in libcrypto when it is available (its public key computed
/// once, reused for the derivation), otherwise in <see cref="Crypto.X25519"/>'s managed ladder.
/// </summary>
internal sealed class X25519KeyExchange : IKeyExchange
{
    private readonly byte[] _private = new byte[32];
    private readonly X25519OpenSsl.KeyPair? _native;

    public X25519KeyExchange()
    {
        X25519.GeneratePrivateKey(_private);
        PublicKey = new byte[32];
        _native = X25519OpenSsl.IsAvailable ? X25519OpenSsl.KeyPair.Create(_private, PublicKey) : null;
        if (_native is null) X25519.PublicKey(_private, PublicKey);
    }

    public NamedGroup Group => NamedGroup.X25519;

    public byte[] PublicKey { get; }

    public byte[] DeriveSharedSecret(ReadOnlySpan<byte> peer)
    {
        if (peer.Length != 32) throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: x25519 key must be 32 bytes");
        var shared = new byte[32];
        if (_native is not null && _native.TryDerive(peer, shared)) return shared;
        // RFC 8446 §7.4.2: an all-zero shared secret must be rejected (the managed ladder decides what
        // libcrypto refused).
        if (!X25519.TrySharedSecret(_private, peer, shared))
            throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: x25519 shared secret is zero");
        return shared;
    }

    public void Dispose()
    {
        _native?.Dispose();
        CryptographicOperations.ZeroMemory(_private);
    }
}
