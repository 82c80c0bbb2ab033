using System.Buffers;

namespace Pliant.Http3.Qpack;

/// <summary>
/// Encodes field sections without the dynamic table (Required Insert Count 0, Base 0): static indexed lines,
/// literals with static name references, and literals with literal names (RFC 9204 §4.5).
/// </summary>
public static class QpackEncoder
{
    /// <summary>Encodes <paramref name="fields"/> (names already lowercase) into <paramref name="writer"/>.</summary>
    public static void Encode(IBufferWriter<byte> writer, IEnumerable<Http3Field> fields)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(fields);
        // RFC 9204 §4.5.1: Required Insert Count 0 (8-bit prefix), then S=0 and Delta Base 0.
        Span<byte> prefix = writer.GetSpan(2);
        prefix[0] = 0;
        prefix[1] = 0;
        writer.Advance(2);
        foreach (var f in fields) EncodeLine(writer, f.Name, f.Value);
    }

    /// <summary>Encodes into a new array.</summary>
    public static byte[] Encode(IEnumerable<Http3Field> fields)
    {
        var w = new ArrayBufferWriter<byte>(256);
        Encode(w, fields);
        return w.WrittenSpan.ToArray();
    }

    private static void EncodeLine(IBufferWriter<byte> writer, string name, string value)
    {
        if (QpackStaticTable.TryFindField(name, value, out int index))
        {
            // §4.5.2 Indexed Field Line: '1', T=1, 6-bit index.
            QpackInteger.Encode(writer, 0xC0, 6, (ulong)index);
        }
        else if (QpackStaticTable.TryFindName(name, out index))
        {
            // §4.5.4 Literal with Name Reference: '01', N=0, T=1, 4-bit index, 8-bit prefix value.
            QpackInteger.Encode(writer, 0x50, 4, (ulong)index);
            QpackString.Encode(writer, 0x00, 8, value);
        }
        else
        {
            // §4.5.6 Literal with Literal Name: '001', N=0, name as 4-bit prefix string (H = 0x08).
            QpackString.Encode(writer, 0x20, 4, name);
            QpackString.Encode(writer, 0x00, 8, value);
        }
    }
}
