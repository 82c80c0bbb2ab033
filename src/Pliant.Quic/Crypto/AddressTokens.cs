using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Crypto;

/// <summary>
/// Address validation tokens (RFC 9000 §8.1): Retry tokens and NEW_TOKEN tokens, sealed with AES-GCM
/// under a static server key so that the server keeps no state.
/// </summary>
/// <remarks>
/// Layout: kind (1 byte, in clear and authenticated as associated data, so Retry and NEW_TOKEN tokens are
/// told apart, RFC 9000 §8.1.1) | random nonce (12) | AES-GCM ciphertext of
/// { issued unix seconds (8) | address family (1: 4 or 6) | address (4 or 16) | port (2) |
///   for Retry tokens: ODCID length (1) | ODCID | Retry SCID length (1) | Retry SCID } | tag (16).
/// Retry tokens bind the client's IP address and port and live <see cref="RetryTokenLifetimeSeconds"/>;
/// NEW_TOKEN tokens bind the IP address only (the port will differ on the next connection, RFC 9000 §8.1.3)
/// and live <see cref="NewTokenLifetimeSeconds"/>. Replay of NEW_TOKEN tokens is not tracked here.
/// IPv4-mapped IPv6 addresses are treated as their IPv4 address. Random 96-bit nonces: rotate the key
/// well before 2^32 tokens. Safe for concurrent use.
/// </remarks>
public sealed class AddressTokens : IDisposable
{
    /// <summary>Lifetime of a Retry token: it is returned at once by the client (RFC 9000 §8.1.4).</summary>
    public const long RetryTokenLifetimeSeconds = 10;

    /// <summary>Lifetime of a NEW_TOKEN token.</summary>
    public const long NewTokenLifetimeSeconds = 24 * 60 * 60;

    private const byte KindRetry = 0x52; // 'R'
    private const byte KindNew = 0x4e;   // 'N'
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int MaxPlaintext = 8 + 1 + 16 + 2 + 1 + ConnectionId.MaxLength + 1 + ConnectionId.MaxLength;

    private readonly AesGcmAead _gcm;

    /// <summary>Tokens under a fresh random 256-bit key (valid for this process only).</summary>
    public AddressTokens()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        _gcm = new AesGcmAead(key);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>Tokens under a given AES key (16 or 32 bytes), e.g. shared by the servers of a cluster.</summary>
    public AddressTokens(ReadOnlySpan<byte> key)
    {
        if (key.Length is not (16 or 32)) throw new ArgumentException("the key is 16 or 32 bytes", nameof(key));
        _gcm = new AesGcmAead(key);
    }

    /// <summary>A token for a Retry packet sent to <paramref name="client"/> in response to an Initial with
    /// Destination Connection ID <paramref name="originalDcid"/>; <paramref name="retryScid"/> is the Retry's SCID.</summary>
    public byte[] CreateRetryToken(IPEndPoint client, ConnectionId originalDcid, ConnectionId retryScid, long unixSeconds)
    {
        ArgumentNullException.ThrowIfNull(client);
        Span<byte> plain = stackalloc byte[MaxPlaintext];
        int n = WriteCommon(plain, client, unixSeconds, includePort: true);
        plain[n++] = (byte)originalDcid.Length;
        originalDcid.Span.CopyTo(plain[n..]);
        n += originalDcid.Length;
        plain[n++] = (byte)retryScid.Length;
        retryScid.Span.CopyTo(plain[n..]);
        n += retryScid.Length;
        return Seal(KindRetry, plain[..n]);
    }

    /// <summary>
    /// Validates a Retry token: authentic, issued to this IP address and port, at most
    /// <see cref="RetryTokenLifetimeSeconds"/> old. Returns the connection IDs it carries.
    /// </summary>
    public bool TryValidateRetryToken(ReadOnlySpan<byte> token, IPEndPoint client, long unixSeconds,
        out ConnectionId originalDcid, out ConnectionId retryScid)
    {
        ArgumentNullException.ThrowIfNull(client);
        originalDcid = default;
        retryScid = default;
        Span<byte> plain = stackalloc byte[MaxPlaintext];
        if (!TryOpen(KindRetry, token, plain, out int length)) return false;
        var p = plain[..length];
        if (!CheckCommon(p, client, unixSeconds, includePort: true, RetryTokenLifetimeSeconds, out int n)) return false;
        if (n >= p.Length) return false;
        int odcidLength = p[n++];
        if (odcidLength > ConnectionId.MaxLength || n + odcidLength >= p.Length) return false;
        var odcid = new ConnectionId(p.Slice(n, odcidLength));
        n += odcidLength;
        int scidLength = p[n++];
        if (scidLength > ConnectionId.MaxLength || n + scidLength != p.Length) return false;
        originalDcid = odcid;
        retryScid = new ConnectionId(p.Slice(n, scidLength));
        return true;
    }

    /// <summary>A token for a NEW_TOKEN frame sent to <paramref name="client"/> (RFC 9000 §8.1.3).</summary>
    public byte[] CreateNewToken(IPEndPoint client, long unixSeconds)
    {
        ArgumentNullException.ThrowIfNull(client);
        Span<byte> plain = stackalloc byte[MaxPlaintext];
        int n = WriteCommon(plain, client, unixSeconds, includePort: false);
        return Seal(KindNew, plain[..n]);
    }

    /// <summary>
    /// Validates a NEW_TOKEN token: authentic, issued to this IP address (any port), at most
    /// <see cref="NewTokenLifetimeSeconds"/> old.
    /// </summary>
    public bool TryValidateNewToken(ReadOnlySpan<byte> token, IPEndPoint client, long unixSeconds)
    {
        ArgumentNullException.ThrowIfNull(client);
        Span<byte> plain = stackalloc byte[MaxPlaintext];
        if (!TryOpen(KindNew, token, plain, out int length)) return false;
        var p = plain[..length];
        return CheckCommon(p, client, unixSeconds, includePort: false, NewTokenLifetimeSeconds, out int n) && n == p.Length;
    }

    /// <summary>True when <paramref name="token"/> looks like a Retry token of this class (not authenticated).</summary>
    public static bool IsRetryToken(ReadOnlySpan<byte> token) => !token.IsEmpty && token[0] == KindRetry;

    /// <summary>True when <paramref name="token"/> looks like a NEW_TOKEN token of this class (not authenticated).</summary>
    public static bool IsNewToken(ReadOnlySpan<byte> token) => !token.IsEmpty && token[0] == KindNew;

    /// <summary>Releases the AES-GCM object.</summary>
    public void Dispose() => _gcm.Dispose();

    private byte[] Seal(byte kind, ReadOnlySpan<byte> plain)
    {
        var token = new byte[1 + NonceLength + plain.Length + TagLength];
        token[0] = kind;
        var nonce = token.AsSpan(1, NonceLength);
        RandomSource.Secure.Fill(nonce);
        _gcm.Seal(nonce, plain, token.AsSpan(1 + NonceLength, plain.Length), token.AsSpan(1 + NonceLength + plain.Length), token.AsSpan(0, 1));
        return token;
    }

    private bool TryOpen(byte kind, ReadOnlySpan<byte> token, Span<byte> plain, out int length)
    {
        length = token.Length - 1 - NonceLength - TagLength;
        if (length < 0 || length > plain.Length || token[0] != kind) return false;
        var nonce = token.Slice(1, NonceLength);
        var ciphertext = token.Slice(1 + NonceLength, length);
        var tag = token[^TagLength..];
        return _gcm.Open(nonce, ciphertext, tag, plain[..length], token[..1]);
    }

    private static int WriteCommon(Span<byte> plain, IPEndPoint client, long unixSeconds, bool includePort)
    {
        BinaryPrimitives.WriteInt64BigEndian(plain, unixSeconds);
        int n = 8;
        Span<byte> address = stackalloc byte[16];
        int addressLength = Normalize(client.Address, address);
        plain[n++] = addressLength == 4 ? (byte)4 : (byte)6;
        address[..addressLength].CopyTo(plain[n..]);
        n += addressLength;
        BinaryPrimitives.WriteUInt16BigEndian(plain[n..], includePort ? (ushort)client.Port : (ushort)0);
        return n + 2;
    }

    private static bool CheckCommon(ReadOnlySpan<byte> p, IPEndPoint client, long unixSeconds, bool includePort,
        long lifetime, out int n)
    {
        n = 0;
        if (p.Length < 8 + 1 + 4 + 2) return false;
        long issued = BinaryPrimitives.ReadInt64BigEndian(p);
        long age = unixSeconds - issued;
        // Expired, or issued in the future (clock went backwards, or forged by someone with the key).
        if (age < 0 || age > lifetime) return false;
        n = 8;
        int family = p[n++];
        int addressLength = family switch { 4 => 4, 6 => 16, _ => -1 };
        if (addressLength < 0 || p.Length < n + addressLength + 2) return false;
        Span<byte> address = stackalloc byte[16];
        int actualLength = Normalize(client.Address, address);
        if (actualLength != addressLength || !p.Slice(n, addressLength).SequenceEqual(address[..actualLength])) return false;
        n += addressLength;
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(p[n..]);
        n += 2;
        return !includePort || port == client.Port;
    }

    // Writes the address bytes; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes the 4-byte IPv4 address.
    private static int Normalize(IPAddress address, Span<byte> destination)
    {
        if (!address.TryWriteBytes(destination, out int written))
            throw new ArgumentException("unsupported address", nameof(address));
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && written == 16 &&
            destination[..10].IndexOfAnyExcept((byte)0) < 0 && destination[10] == 0xff && destination[11] == 0xff)
        {
            destination.Slice(12, 4).CopyTo(destination);
            return 4;
        }
        return written;
    }
}
