using Pliant.Quic.Connection;

namespace Pliant.Router.FirstFlight;

/// <summary>
/// Records the CRYPTO fragments of one Initial packet while it is being opened, so they reach a reassembly
/// only once the packet turned out valid (a junk Initial then leaves nothing behind). Reused for every packet;
/// holds at most one datagram's worth of bytes.
/// </summary>
internal sealed class CryptoCapture : IInitialCryptoSink
{
    private readonly List<(ulong Offset, int Start, int Length)> _fragments = [];
    private byte[] _bytes = new byte[2048];
    private int _used;

    public void Clear()
    {
        _fragments.Clear();
        _used = 0;
    }

    public void OnCryptoData(ulong offset, ReadOnlySpan<byte> data)
    {
        if (_bytes.Length < _used + data.Length) Array.Resize(ref _bytes, Math.Max(_used + data.Length, _bytes.Length * 2));
        data.CopyTo(_bytes.AsSpan(_used));
        _fragments.Add((offset, _used, data.Length));
        _used += data.Length;
    }

    /// <summary>Hands every recorded fragment to <paramref name="sink"/>.</summary>
    public void ReplayInto(IInitialCryptoSink sink)
    {
        foreach (var (offset, start, length) in _fragments) sink.OnCryptoData(offset, _bytes.AsSpan(start, length));
    }
}
