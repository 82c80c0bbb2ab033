using Pliant.Quic.Connection;
using Pliant.Quic.Streams;

namespace Pliant.Router.FirstFlight;

/// <summary>Where the reassembly of a ClientHello stands.</summary>
internal enum HelloState
{
    /// <summary>Bytes are missing (a later Initial packet is outstanding, reordered or lost).</summary>
    Incomplete,

    /// <summary>The whole ClientHello is here.</summary>
    Complete,

    /// <summary>The ClientHello is longer than the router reassembles.</summary>
    TooLarge,

    /// <summary>The data cannot be a ClientHello (wrong type, more fragments than allowed).</summary>
    Malformed,
}

/// <summary>
/// Reassembles the start of a client's Initial CRYPTO stream (RFC 9000 §19.6) across Initial packets that
/// arrive in any order, until the whole ClientHello (RFC 8446 §4.1.2: type, 24-bit length, body) is there.
/// Memory bound: a buffer of at most <c>maxBytes</c> (grown as data lands, not to the announced length) and at
/// most <see cref="MaxRanges"/> disjoint ranges; data beyond <c>maxBytes</c> is not stored. Duplicated and
/// overlapping fragments are harmless (the first copy wins, as in the QUIC stack, RFC 9000 §2.2).
/// </summary>
internal sealed class HelloAssembly : IInitialCryptoSink
{
    /// <summary>Most separate ranges kept (the QUIC stack allows 64 out-of-order CRYPTO ranges per level, docs/security.md).</summary>
    public const int MaxRanges = 64;

    private readonly int _maxBytes;
    private readonly RangeSet _have = new();
    private byte[] _buffer = [];
    private bool _malformed;

    public HelloAssembly(int maxBytes) => _maxBytes = maxBytes;

    /// <summary>Bytes of buffer held.</summary>
    public int BufferBytes => _buffer.Length;

    /// <summary>The ClientHello's length with its 4-byte header once known, else -1.</summary>
    public int HelloLength { get; private set; } = -1;

    public HelloState State
    {
        get
        {
            if (_malformed) return HelloState.Malformed;
            if (HelloLength > _maxBytes) return HelloState.TooLarge;
            if (HelloLength > 0 && _have.Contains(0, (ulong)HelloLength)) return HelloState.Complete;
            return HelloState.Incomplete;
        }
    }

    /// <summary>The complete ClientHello message (valid while this object lives and nothing more is added).</summary>
    public ReadOnlySpan<byte> Hello => State == HelloState.Complete ? _buffer.AsSpan(0, HelloLength) : default;

    public void OnCryptoData(ulong offset, ReadOnlySpan<byte> data)
    {
        if (_malformed || offset >= (ulong)_maxBytes) return;
        int start = (int)offset;
        int end = (int)Math.Min((ulong)_maxBytes, offset + (ulong)data.Length);
        if (end <= start) return;
        if (_buffer.Length < end) Array.Resize(ref _buffer, Math.Min(_maxBytes, Math.Max(end, Math.Max(2048, _buffer.Length * 2))));
        // Copy only the gaps: what arrived first stays.
        ulong pos = (ulong)start;
        while (_have.TryGetFirstGap(pos, (ulong)end, out ulong gapStart, out ulong gapEnd))
        {
            data.Slice((int)gapStart - start, (int)(gapEnd - gapStart)).CopyTo(_buffer.AsSpan((int)gapStart));
            pos = gapEnd;
        }
        _have.Add((ulong)start, (ulong)end);
        if (_have.Count > MaxRanges)
        {
            _malformed = true;
            return;
        }
        if (HelloLength < 0 && _have.Contains(0, 4))
        {
            // RFC 8446 §4: msg_type client_hello(1), then uint24 length.
            if (_buffer[0] != 0x01) _malformed = true;
            else HelloLength = 4 + (_buffer[1] << 16 | _buffer[2] << 8 | _buffer[3]);
        }
    }
}
