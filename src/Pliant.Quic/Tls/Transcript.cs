using System.Security.Cryptography;
using Pliant.Quic.Crypto;

namespace Pliant.Quic.Tls;

/// <summary>The handshake transcript (RFC 8446 §4.4.1): the concatenated messages, hashed on demand.</summary>
internal sealed class Transcript
{
    private readonly TlsWriter _messages = new();

    public void Add(ReadOnlySpan<byte> message) => _messages.Bytes(message);

    /// <summary>Transcript-Hash of everything added so far.</summary>
    public byte[] Hash(HashAlgorithmName hash) => HashOf(hash, _messages.Written);

    /// <summary>Transcript-Hash of everything so far followed by <paramref name="partial"/> (for PSK binders).</summary>
    public byte[] HashWith(HashAlgorithmName hash, ReadOnlySpan<byte> partial)
    {
        var output = new byte[Sha2.HashSize(hash)];
        Sha2.Hash(hash, _messages.Written, partial, [], output);
        return output;
    }

    /// <summary>
    /// RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
    /// message_hash(254) || 00 00 Hash.length || Hash(ClientHello1). Call before adding the HRR.
    /// </summary>
    public void ReplaceWithMessageHash(HashAlgorithmName hash)
    {
        byte[] h = Hash(hash);
        _messages.Clear();
        _messages.U8(HandshakeType.MessageHash);
        _messages.U24(h.Length);
        _messages.Bytes(h);
    }

    public static byte[] HashOf(HashAlgorithmName hash, ReadOnlySpan<byte> data)
    {
        var output = new byte[Sha2.HashSize(hash)];
        Sha2.Hash(hash, data, [], [], output);
        return output;
    }
}
