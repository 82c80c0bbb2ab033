using System.Buffers.Binary;
using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Router.QuicLb;

/// <summary>
/// Issues QUIC-LB routable connection IDs for one server ID (draft-ietf-quic-load-balancers-21 §5.4), for
/// <see cref="QuicEndpointOptions.ConnectionIdGenerator"/> (and <c>QuicListenerOptions.ConnectionIdGenerator</c>).
/// Thread-safe: one generator may serve several endpoints (e.g. one per UDP driver).
/// </summary>
/// <remarks>
/// Nonces (§9.4, "Connection ID Entropy"): with a key, a counter that starts at a random value and is
/// incremented for every ID (the draft's recommended method: no nonce repeats until the counter wraps);
/// without a key, random bytes (§5.4: plaintext nonces must have "no observable relationship" to earlier
/// ones). When the counter space is used up (2^(8·n) IDs for an n-byte nonce, counting at most 64 bits) the
/// generator issues unroutable IDs instead (config rotation bits 0b111, length in the first octet, random
/// rest, §3.2) and counts them in <see cref="UnroutableIssued"/>: a new configuration is due.
/// </remarks>
public sealed class QuicLbConnectionIdGenerator : IConnectionIdGenerator
{
    private readonly QuicLbCodec _codec;
    private readonly byte[] _serverId;
    private readonly RandomSource _random;
    private readonly ulong _counterSpace; // 0 = the full 2^64
    private readonly int _counterBytes;
    private readonly byte[] _noncePrefix;
    private ulong _next;
    private long _issued;
    private long _unroutable;

    /// <summary>Creates a generator for <paramref name="serverId"/> (exactly the configuration's server ID length).</summary>
    /// <param name="configuration">The QUIC-LB configuration the load balancer knows.</param>
    /// <param name="serverId">This server's ID (see <see cref="ServerIdLayout"/> for Pliant's layout).</param>
    /// <param name="random">Randomness for nonces and first octets; the operating system's CSPRNG if null (tests pass a seeded one).</param>
    public QuicLbConnectionIdGenerator(QuicLbConfiguration configuration, ReadOnlySpan<byte> serverId, RandomSource? random = null)
        : this(configuration, serverId, random, counterSpace: null)
    {
    }

    /// <summary>Test seam: <paramref name="counterSpace"/> shrinks the number of keyed nonces available.</summary>
    internal QuicLbConnectionIdGenerator(QuicLbConfiguration configuration, ReadOnlySpan<byte> serverId, RandomSource? random, ulong? counterSpace)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (serverId.Length != configuration.ServerIdLength)
            throw new ArgumentException($"the server ID must be {configuration.ServerIdLength} bytes for {configuration}", nameof(serverId));
        _codec = new QuicLbCodec(configuration);
        _serverId = serverId.ToArray();
        _random = random ?? RandomSource.Secure;
        _counterBytes = Math.Min(8, configuration.NonceLength);
        _counterSpace = counterSpace ?? (_counterBytes == 8 ? 0 : 1UL << (8 * _counterBytes));
        // A nonce longer than 8 bytes: a random prefix fixed for this generator, then the 64-bit counter.
        _noncePrefix = new byte[configuration.NonceLength - _counterBytes];
        _random.Fill(_noncePrefix);
        _next = _random.NextUInt64();
        if (_counterSpace != 0) _next %= _counterSpace;
    }

    /// <summary>The configuration the IDs follow.</summary>
    public QuicLbConfiguration Configuration => _codec.Configuration;

    /// <summary>The server ID every routable ID carries.</summary>
    public ReadOnlySpan<byte> ServerId => _serverId;

    /// <inheritdoc/>
    public int Length => _codec.Configuration.ConnectionIdLength;

    /// <summary>IDs issued so far (routable or not).</summary>
    public long Issued => Interlocked.Read(ref _issued);

    /// <summary>Unroutable IDs issued because the nonce space was used up.</summary>
    public long UnroutableIssued => Interlocked.Read(ref _unroutable);

    /// <inheritdoc/>
    public ConnectionId Generate()
    {
        var c = _codec.Configuration;
        long n = Interlocked.Increment(ref _issued);
        Span<byte> cid = stackalloc byte[c.ConnectionIdLength];
        Span<byte> random = stackalloc byte[1];
        _random.Fill(random);
        if (c.Key is null)
        {
            // §5.4: without a key the nonce must not be related to earlier ones: random bytes.
            Span<byte> nonce = stackalloc byte[c.NonceLength];
            _random.Fill(nonce);
            _codec.Encode(_serverId, nonce, _codec.FirstOctet(random[0]), cid);
            return new ConnectionId(cid);
        }
        if (_counterSpace != 0 && (ulong)(n - 1) >= _counterSpace)
        {
            // §9.4: a server that exhausted its nonces uses the unroutable codepoint (§3.2: length self-encoded).
            Interlocked.Increment(ref _unroutable);
            _random.Fill(cid);
            cid[0] = (byte)(QuicLbConfiguration.UnroutableConfigId << 5 | (c.ConnectionIdLength - 1));
            return new ConnectionId(cid);
        }
        ulong counter = Interlocked.Increment(ref _next) - 1;
        if (_counterSpace != 0) counter %= _counterSpace;
        Span<byte> nonceBytes = stackalloc byte[c.NonceLength];
        _noncePrefix.CopyTo(nonceBytes);
        Span<byte> counterBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(counterBytes, counter);
        counterBytes[(8 - _counterBytes)..].CopyTo(nonceBytes[_noncePrefix.Length..]);
        _codec.Encode(_serverId, nonceBytes, _codec.FirstOctet(random[0]), cid);
        return new ConnectionId(cid);
    }
}
