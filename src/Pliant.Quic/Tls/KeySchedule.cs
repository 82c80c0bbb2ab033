using System.Security.Cryptography;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tls;

/// <summary>The TLS 1.3 key schedule (RFC 8446 §7.1) for one cipher suite's hash.</summary>
internal sealed class KeySchedule
{
    private byte[] _secret; // the current stage: early, then handshake, then master secret

    /// <summary>Starts with Early Secret = HKDF-Extract(0, PSK or 0^HashLen).</summary>
    public KeySchedule(HashAlgorithmName hash, int hashLength, byte[]? psk)
    {
        Hash = hash;
        HashLength = hashLength;
        _secret = Hkdf.Extract(hash, psk ?? new byte[hashLength], new byte[hashLength]);
    }

    public KeySchedule(CipherSuite suite, byte[]? psk) : this(suite.Hash(), suite.HashLength(), psk) { }

    public HashAlgorithmName Hash { get; }

    public int HashLength { get; }

    public byte[] EmptyHash => Transcript.HashOf(Hash, []);

    /// <summary>Derive-Secret(., "res binder", "") — binder key for resumption PSKs.</summary>
    public byte[] BinderKey() => HkdfLabel.DeriveSecret(Hash, _secret, "res binder", EmptyHash);

    /// <summary>client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello).</summary>
    public byte[] ClientEarlyTrafficSecret(byte[] transcriptHash) =>
        HkdfLabel.DeriveSecret(Hash, _secret, "c e traffic", transcriptHash);

    /// <summary>Moves to the next stage: HKDF-Extract(Derive-Secret(., "derived", ""), ikm).</summary>
    public void Advance(byte[]? ikm)
    {
        byte[] salt = HkdfLabel.DeriveSecret(Hash, _secret, "derived", EmptyHash);
        _secret = Hkdf.Extract(Hash, ikm ?? new byte[HashLength], salt);
    }

    /// <summary>Derive-Secret of the current stage (e.g. "c hs traffic", "s ap traffic", "res master").</summary>
    public byte[] Derive(string label, byte[] transcriptHash) => HkdfLabel.DeriveSecret(Hash, _secret, label, transcriptHash);

    /// <summary>verify_data = HMAC(finished_key, transcript hash), finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).</summary>
    public byte[] VerifyData(byte[] baseKey, byte[] transcriptHash)
    {
        byte[] finishedKey = HkdfLabel.Expand(Hash, baseKey, "finished", [], HashLength);
        return Hmac.Compute(Hash, finishedKey, transcriptHash);
    }

    /// <summary>The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (RFC 8446 §4.6.1).</summary>
    public static byte[] ResumptionPsk(HashAlgorithmName hash, int hashLength, byte[] resumptionMasterSecret, ReadOnlySpan<byte> nonce) =>
        HkdfLabel.Expand(hash, resumptionMasterSecret, "resumption", nonce, hashLength);
}
