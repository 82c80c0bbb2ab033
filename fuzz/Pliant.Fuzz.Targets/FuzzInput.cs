using System.Buffers.Binary;

namespace Pliant.Fuzz;

/// <summary>
/// Splits a fuzz input into control bytes and chunks. A chunk is a 2-byte big-endian length and that
/// many bytes (clamped to what is left), so one file can hold several datagrams, records or frames
/// and mutations of one length still leave the rest readable.
/// </summary>
public ref struct FuzzInput(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    /// <summary>True when nothing is left.</summary>
    public readonly bool IsEmpty => _rest.IsEmpty;

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _rest.Length;

    /// <summary>Next byte, or 0 at the end.</summary>
    public byte Byte()
    {
        if (_rest.IsEmpty) return 0;
        byte b = _rest[0];
        _rest = _rest[1..];
        return b;
    }

    /// <summary>Next length-prefixed chunk (possibly empty).</summary>
    public ReadOnlySpan<byte> Chunk()
    {
        if (_rest.Length < 2) { _rest = default; return default; }
        int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(_rest), _rest.Length - 2);
        var chunk = _rest.Slice(2, length);
        _rest = _rest[(2 + length)..];
        return chunk;
    }

    /// <summary>Everything left.</summary>
    public ReadOnlySpan<byte> Rest()
    {
        var r = _rest;
        _rest = default;
        return r;
    }

    /// <summary>Encodes chunks the way <see cref="Chunk"/> reads them, each after its control byte (seeds).</summary>
    public static byte[] Build(params (byte Control, byte[] Data)[] chunks)
    {
        var ms = new MemoryStream();
        foreach (var (control, data) in chunks)
        {
            ms.WriteByte(control);
            ms.WriteByte((byte)(data.Length >> 8));
            ms.WriteByte((byte)data.Length);
            ms.Write(data);
        }
        return ms.ToArray();
    }
}
