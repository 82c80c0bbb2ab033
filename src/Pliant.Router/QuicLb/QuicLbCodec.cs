using System.Runtime.CompilerServices;

namespace Pliant.Router.QuicLb;

/// <summary>
/// Encodes and decodes QUIC-LB connection IDs of one <see cref="QuicLbConfiguration"/>
/// (draft-ietf-quic-load-balancers-21 §5): <c>First Octet (8), Server ID, Nonce</c>, the last two
/// in the clear, as one AES block, or through four Feistel passes. Immutable and thread-safe; encoding
/// and decoding allocate nothing (a few stack bytes and 1 to 4 AES block operations).
/// </summary>
public sealed class QuicLbCodec
{
    private readonly QuicLbBlockCipher? _cipher;
    private readonly int _plaintextLength;
    private readonly int _halfLength;
    private readonly bool _odd;

    /// <summary>Prepares the codec (expands the key once).</summary>
    public QuicLbCodec(QuicLbConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        if (configuration.Key is { } key) _cipher = new QuicLbBlockCipher(key);
        _plaintextLength = configuration.PlaintextLength;
        _halfLength = (_plaintextLength + 1) / 2;
        _odd = (_plaintextLength & 1) == 1;
    }

    /// <summary>The configuration this codec implements.</summary>
    public QuicLbConfiguration Configuration { get; }

    /// <summary>
    /// The first octet for a new ID: the config rotation bits, then the length of the rest of the ID
    /// (§3.3) or — without length encoding — the five low bits of <paramref name="random"/> (§3.3: "no
    /// observable relationship to previous connection IDs").
    /// </summary>
    public byte FirstOctet(byte random) =>
        (byte)(Configuration.ConfigId << 5 | (Configuration.EncodeLength ? _plaintextLength : random & 0x1f));

    /// <summary>
    /// Writes a connection ID of <see cref="QuicLbConfiguration.ConnectionIdLength"/> bytes carrying
    /// <paramref name="serverId"/> and <paramref name="nonce"/> (draft §5.4, "Server Actions").
    /// </summary>
    public void Encode(ReadOnlySpan<byte> serverId, ReadOnlySpan<byte> nonce, byte firstOctet, Span<byte> connectionId)
    {
        var c = Configuration;
        if (serverId.Length != c.ServerIdLength) throw new ArgumentException($"the server ID is {c.ServerIdLength} bytes", nameof(serverId));
        if (nonce.Length != c.NonceLength) throw new ArgumentException($"the nonce is {c.NonceLength} bytes", nameof(nonce));
        if (connectionId.Length < c.ConnectionIdLength) throw new ArgumentException($"the connection ID is {c.ConnectionIdLength} bytes", nameof(connectionId));
        if (firstOctet >> 5 != c.ConfigId) throw new ArgumentException("the first octet must carry the config ID", nameof(firstOctet));
        connectionId[0] = firstOctet;
        var body = connectionId.Slice(1, _plaintextLength);
        serverId.CopyTo(body);
        nonce.CopyTo(body[serverId.Length..]);
        switch (c.Algorithm)
        {
            case QuicLbAlgorithm.SinglePass:
                // §5.4.1: all octets but the first form one AES-ECB block.
                _cipher!.Encrypt(body, body);
                break;
            case QuicLbAlgorithm.FourPass:
                FourPassEncrypt(body);
                break;
        }
    }

    /// <summary>
    /// Reads the server ID out of <paramref name="connectionId"/> (draft §5.5, "Load Balancer Actions") into
    /// <paramref name="serverId"/> (<see cref="QuicLbConfiguration.ServerIdLength"/> bytes, or fewer: a prefix,
    /// as a load balancer in a chain reads, §7.1). False when the ID is shorter than this configuration's IDs
    /// or its config rotation bits name another configuration. With four passes, a prefix no longer than the
    /// left half costs three AES blocks, a longer one four.
    /// </summary>
    public bool TryDecodeServerId(ReadOnlySpan<byte> connectionId, Span<byte> serverId)
    {
        var c = Configuration;
        if (connectionId.Length < c.ConnectionIdLength || connectionId[0] >> 5 != c.ConfigId) return false;
        if (serverId.Length > c.ServerIdLength) throw new ArgumentException($"at most {c.ServerIdLength} bytes of server ID", nameof(serverId));
        var body = connectionId.Slice(1, _plaintextLength);
        switch (c.Algorithm)
        {
            case QuicLbAlgorithm.Plaintext:
                body[..serverId.Length].CopyTo(serverId);
                return true;
            case QuicLbAlgorithm.SinglePass:
            {
                Span<byte> block = stackalloc byte[16];
                _cipher!.Decrypt(body, block);
                block[..serverId.Length].CopyTo(serverId);
                return true;
            }
            default:
            {
                Span<byte> plaintext = stackalloc byte[_plaintextLength];
                FourPassDecrypt(body, plaintext, serverId.Length);
                plaintext[..serverId.Length].CopyTo(serverId);
                return true;
            }
        }
    }

    /// <summary>Recovers server ID and nonce (the whole plaintext block) of <paramref name="connectionId"/>; false as for <see cref="TryDecodeServerId"/>.</summary>
    public bool TryDecode(ReadOnlySpan<byte> connectionId, Span<byte> serverId, Span<byte> nonce)
    {
        var c = Configuration;
        if (serverId.Length != c.ServerIdLength || nonce.Length != c.NonceLength) throw new ArgumentException("server ID and nonce buffers must have the configured lengths");
        if (connectionId.Length < c.ConnectionIdLength || connectionId[0] >> 5 != c.ConfigId) return false;
        Span<byte> plaintext = stackalloc byte[32]; // ≥ 16 for a single-pass block, ≥ 19 for four passes
        var body = connectionId.Slice(1, _plaintextLength);
        switch (c.Algorithm)
        {
            case QuicLbAlgorithm.Plaintext:
                body.CopyTo(plaintext);
                break;
            case QuicLbAlgorithm.SinglePass:
                _cipher!.Decrypt(body, plaintext);
                break;
            default:
                FourPassDecrypt(body, plaintext, c.ServerIdLength + c.NonceLength);
                break;
        }
        plaintext[..serverId.Length].CopyTo(serverId);
        plaintext.Slice(serverId.Length, nonce.Length).CopyTo(nonce);
        return true;
    }

    // ---- Four-pass encryption (draft §5.4.2) ----

    /// <summary>§5.4.2 steps 1-12, in place over server ID ‖ nonce.</summary>
    private void FourPassEncrypt(Span<byte> body)
    {
        int h = _halfLength;
        Span<byte> left = stackalloc byte[h];
        Span<byte> right = stackalloc byte[h];
        Split(body, left, right);
        Pass(1, left, right);  // right_1 = right_0 ^ truncate(AES(expand(len, 1, left_0)))
        ClearFirstBits(right);
        Pass(2, right, left);  // left_1 = left_0 ^ truncate(AES(expand(len, 2, right_1)))
        ClearLastBits(left);
        Pass(3, left, right);  // right_2
        ClearFirstBits(right);
        Pass(4, right, left);  // left_2
        ClearLastBits(left);
        Merge(left, right, body);
    }

    /// <summary>
    /// §5.5.2: undoes passes 4, 3, 2 and — only when <paramref name="wanted"/> bytes reach past left_0 — pass 1,
    /// writing the plaintext (its first <paramref name="wanted"/> bytes are exact) to <paramref name="plaintext"/>.
    /// </summary>
    private void FourPassDecrypt(ReadOnlySpan<byte> body, Span<byte> plaintext, int wanted)
    {
        int h = _halfLength;
        Span<byte> left = stackalloc byte[h];
        Span<byte> right = stackalloc byte[h];
        Split(body, left, right); // left_2, right_2
        Pass(4, right, left);     // left_1 = left_2 ^ truncate(AES(expand(len, 4, right_2)))
        ClearLastBits(left);
        Pass(3, left, right);     // right_1 = right_2 ^ truncate(AES(expand(len, 3, left_1)))
        ClearFirstBits(right);
        Pass(2, right, left);     // left_0 = left_1 ^ truncate(AES(expand(len, 2, right_1)))
        ClearLastBits(left);
        // left_0 holds whole bytes [0, h) when the length is even, [0, h - 1) and a high nibble when odd.
        if (wanted > (_odd ? h - 1 : h))
        {
            Pass(1, left, right); // right_0 = right_1 ^ truncate(AES(expand(len, 1, left_0)))
            ClearFirstBits(right);
        }
        Merge(left, right, plaintext);
    }

    /// <summary>§5.4.2 step 2: equal halves; with an odd length the middle byte's nibbles go one to each half.</summary>
    private void Split(ReadOnlySpan<byte> whole, Span<byte> left, Span<byte> right)
    {
        int h = _halfLength;
        whole[..h].CopyTo(left);
        whole[(_plaintextLength - h)..].CopyTo(right);
        ClearLastBits(left);
        ClearFirstBits(right);
    }

    /// <summary>§5.4.2 step 12: concatenation; with an odd length the two half-empty middle bytes become one.</summary>
    private void Merge(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> whole)
    {
        int h = _halfLength;
        if (!_odd)
        {
            left.CopyTo(whole);
            right.CopyTo(whole[h..]);
            return;
        }
        left[..(h - 1)].CopyTo(whole);
        whole[h - 1] = (byte)(left[h - 1] | right[0]);
        right[1..].CopyTo(whole[h..]);
    }

    /// <summary>
    /// One pass: <paramref name="target"/> ^= truncate(AES-ECB(key, expand(len, <paramref name="pass"/>,
    /// <paramref name="input"/>)), half_len), where expand = input ‖ zeros ‖ len (byte 15) ‖ pass (byte 16).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Pass(byte pass, ReadOnlySpan<byte> input, Span<byte> target)
    {
        Span<byte> block = stackalloc byte[16];
        block.Clear();
        input.CopyTo(block);
        block[14] = (byte)_plaintextLength;
        block[15] = pass;
        _cipher!.Encrypt(block, block);
        for (int i = 0; i < target.Length; i++) target[i] ^= block[i];
    }

    /// <summary>Odd lengths: the left half's last four bits are not part of it.</summary>
    private void ClearLastBits(Span<byte> left)
    {
        if (_odd) left[^1] &= 0xf0;
    }

    /// <summary>Odd lengths: the right half's first four bits are not part of it.</summary>
    private void ClearFirstBits(Span<byte> right)
    {
        if (_odd) right[0] &= 0x0f;
    }
}
