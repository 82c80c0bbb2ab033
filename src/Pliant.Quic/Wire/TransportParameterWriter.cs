using System.Buffers;

namespace Pliant.Quic.Wire;

/// <summary>Growable buffer for encoding transport parameters (id, length, value triples).</summary>
internal ref struct TransportParameterWriter
{
    private Span<byte> _buffer;
    private byte[]? _rented;
    private int _length;

    public TransportParameterWriter(Span<byte> initial)
    {
        _buffer = initial;
        _rented = null;
        _length = 0;
    }

    public void WriteParameter(ulong id, scoped ReadOnlySpan<byte> value)
    {
        Ensure(8 + 8 + value.Length);
        _length += VarInt.Write(_buffer[_length..], id);
        _length += VarInt.Write(_buffer[_length..], (ulong)value.Length);
        value.CopyTo(_buffer[_length..]);
        _length += value.Length;
    }

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra) return;
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + extra));
        _buffer[.._length].CopyTo(bigger);
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
        _rented = bigger;
        _buffer = bigger;
    }

    public readonly byte[] ToArray() => _buffer[.._length].ToArray();

    public void Dispose()
    {
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
        _rented = null;
    }
}
