namespace Pliant.Net.Tests.Fake;

/// <summary>A growable FIFO of bytes.</summary>
internal sealed class ByteQueue
{
    private byte[] _buffer = new byte[4096];
    private int _start, _end;

    public int Count => _end - _start;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_end + data.Length > _buffer.Length)
        {
            int count = Count;
            var target = count + data.Length > _buffer.Length ? new byte[Math.Max(_buffer.Length * 2, count + data.Length)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, count);
            _buffer = target;
            _start = 0;
            _end = count;
        }
        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    public int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        if (_start == _end) _start = _end = 0;
        return n;
    }
}
