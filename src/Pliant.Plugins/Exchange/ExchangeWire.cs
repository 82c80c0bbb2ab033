using System.Text;
using Pliant.Quic;
using Pliant.Quic.Wire;

namespace Pliant.Plugins.Exchange;

/// <summary>
/// Wire format of plugin exchange (DESIGN §4 "Exchange", after Pluginizing QUIC §4). All ids are in
/// QUIC's private-use space: unknown transport parameters are ignored by peers that do not know them
/// (RFC 9000 §7.4.2), so a peer that is not Pliant sees nothing it must act on.
/// <code>
/// supported_plugins (0x50a1) = flags(varint; bit 0: accepts pushed plugins) max_module_size(varint; 0: not stated) count(varint) count × ref
/// plugins_for_you   (0x50a3) = count(varint) count × ref
/// ref = length(varint) UTF-8 "id@sha256hex"
/// PLUGIN frame (type 0x50a0) = sha256(32) offset(varint) total_length(varint) data_length(varint) data
/// </code>
/// </summary>
public static class ExchangeWire
{
    /// <summary>Frame type of PLUGIN frames (a 4-byte varint; only in 1-RTT packets).</summary>
    public const ulong PluginFrameType = 0x50a0;

    /// <summary>Transport parameter: plugins this endpoint already has and whether it accepts pushes.</summary>
    public const ulong SupportedPluginsParameter = 0x50a1;

    /// <summary>
    /// Transport parameter: plugins this endpoint wants its peer to run. Not 0x50a2: that id is of the
    /// reserved form 31·N+27 (RFC 9000 §18.1) and receivers ignore it.
    /// </summary>
    public const ulong PluginsForYouParameter = 0x50a3;

    /// <summary>Flag bit in <see cref="SupportedPluginsParameter"/>: the endpoint accepts PLUGIN frames.</summary>
    public const ulong AcceptsPushesFlag = 1;

    /// <summary>Most references a parameter may carry.</summary>
    public const int MaxReferences = 64;

    /// <summary>Encodes <c>supported_plugins</c>: whether we accept pushes, the largest module we accept (0: not stated) and the modules we have.</summary>
    public static byte[] EncodeSupported(bool acceptsPushes, IEnumerable<PluginReference> have, ulong maxModuleSize = 0)
    {
        var ms = new MemoryStream();
        WriteVarInt(ms, acceptsPushes ? AcceptsPushesFlag : 0);
        WriteVarInt(ms, maxModuleSize);
        WriteList(ms, have);
        return ms.ToArray();
    }

    /// <summary>Encodes <c>plugins_for_you</c>.</summary>
    public static byte[] EncodePluginsForYou(IEnumerable<PluginReference> plugins)
    {
        var ms = new MemoryStream();
        WriteList(ms, plugins);
        return ms.ToArray();
    }

    /// <summary>Decodes <c>supported_plugins</c>; throws TRANSPORT_PARAMETER_ERROR when malformed (RFC 9000 §7.4).</summary>
    public static SupportedPlugins DecodeSupported(ReadOnlySpan<byte> value)
    {
        var r = new WireReader(value, TransportErrorCode.TransportParameterError, "supported_plugins");
        ulong flags = r.ReadVarInt();
        ulong max = r.ReadVarInt();
        var list = ReadList(ref r);
        if (!r.IsEmpty) throw r.Fail("trailing bytes");
        return new SupportedPlugins((flags & AcceptsPushesFlag) != 0, max, list);
    }

    /// <summary>Decodes <c>plugins_for_you</c>; throws TRANSPORT_PARAMETER_ERROR when malformed.</summary>
    public static List<PluginReference> DecodePluginsForYou(ReadOnlySpan<byte> value)
    {
        var r = new WireReader(value, TransportErrorCode.TransportParameterError, "plugins_for_you");
        var list = ReadList(ref r);
        if (!r.IsEmpty) throw r.Fail("trailing bytes");
        return list;
    }

    private static void WriteList(MemoryStream ms, IEnumerable<PluginReference> refs)
    {
        var items = refs.ToList();
        if (items.Count > MaxReferences) throw new ArgumentException($"at most {MaxReferences} plugin references");
        WriteVarInt(ms, (ulong)items.Count);
        foreach (var item in items)
        {
            byte[] text = Encoding.UTF8.GetBytes(item.ToString());
            WriteVarInt(ms, (ulong)text.Length);
            ms.Write(text);
        }
    }

    private static List<PluginReference> ReadList(ref WireReader r)
    {
        ulong count = r.ReadVarInt();
        if (count > MaxReferences) throw r.Fail("too many plugin references");
        var list = new List<PluginReference>((int)count);
        for (ulong i = 0; i < count; i++)
        {
            var bytes = r.ReadVectorVarInt();
            string text;
            try { text = new UTF8Encoding(false, true).GetString(bytes); }
            catch (DecoderFallbackException) { throw r.Fail("reference is not UTF-8"); }
            if (!PluginReference.TryParse(text, out var reference)) throw r.Fail("reference is not id@sha256");
            list.Add(reference!);
        }
        return list;
    }

    private static void WriteVarInt(MemoryStream ms, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        ms.Write(b[..VarInt.Write(b, value)]);
    }
}

/// <summary>A peer's <c>supported_plugins</c>.</summary>
/// <param name="AcceptsPushes">It accepts PLUGIN frames.</param>
/// <param name="MaxModuleSize">Largest module it accepts in bytes; 0 when not stated.</param>
/// <param name="Have">Modules it already has (they need not be sent).</param>
public sealed record SupportedPlugins(bool AcceptsPushes, ulong MaxModuleSize, IReadOnlyList<PluginReference> Have);

/// <summary>One PLUGIN frame: a chunk of a module being pushed (see <see cref="ExchangeWire"/>).</summary>
public readonly ref struct PluginFrame
{
    /// <summary>Content hash of the module the chunk belongs to.</summary>
    public ReadOnlySpan<byte> Hash { get; init; }

    /// <summary>Offset of <see cref="Data"/> in the module.</summary>
    public ulong Offset { get; init; }

    /// <summary>Length of the whole module.</summary>
    public ulong TotalLength { get; init; }

    /// <summary>The chunk.</summary>
    public ReadOnlySpan<byte> Data { get; init; }

    /// <summary>Bytes of a frame header (type included) for these values, without the data.</summary>
    public static int HeaderLength(ulong offset, ulong total, int dataLength) =>
        VarInt.Length(ExchangeWire.PluginFrameType) + 32 + VarInt.Length(offset) + VarInt.Length(total) + VarInt.Length((ulong)dataLength);

    /// <summary>
    /// Reads a frame body (type already consumed). Throws FRAME_ENCODING_ERROR (RFC 9000 §12.4) when
    /// it is truncated, its chunk is empty or runs past the module's length.
    /// </summary>
    public static PluginFrame Read(ReadOnlySpan<byte> afterType, out int consumed)
    {
        var r = new WireReader(afterType, TransportErrorCode.FrameEncodingError, "PLUGIN frame");
        var hash = r.ReadBytes(32);
        ulong offset = r.ReadVarInt();
        ulong total = r.ReadVarInt();
        ulong length = r.ReadVarInt();
        if (length == 0) throw r.Fail("empty chunk");
        if (length > (ulong)r.Remaining) throw r.Fail("chunk runs past the packet");
        if (offset > total || length > total - offset) throw r.Fail("chunk runs past the module's length");
        var data = r.ReadBytes((int)length);
        consumed = r.Position;
        return new PluginFrame { Hash = hash, Offset = offset, TotalLength = total, Data = data };
    }

    /// <summary>Writes type and body into <paramref name="dest"/>; returns bytes written.</summary>
    public int Write(Span<byte> dest)
    {
        int pos = VarInt.Write(dest, ExchangeWire.PluginFrameType);
        Hash.CopyTo(dest[pos..]);
        pos += 32;
        pos += VarInt.Write(dest[pos..], Offset);
        pos += VarInt.Write(dest[pos..], TotalLength);
        pos += VarInt.Write(dest[pos..], (ulong)Data.Length);
        Data.CopyTo(dest[pos..]);
        return pos + Data.Length;
    }
}
