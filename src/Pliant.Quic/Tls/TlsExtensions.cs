using System.Text;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tls;

/// <summary>A parsed extension block (RFC 8446 §4.2): types in order, bodies copied out.</summary>
internal sealed class TlsExtensions
{
    private readonly List<(ushort Type, byte[] Data)> _items = [];

    public IReadOnlyList<(ushort Type, byte[] Data)> Items => _items;

    /// <summary>
    /// Reads <c>Extension extensions&lt;0..2^16-1&gt;</c>. Duplicates are illegal_parameter (RFC 8446 §4.2),
    /// found in O(1) each; more than <see cref="TlsLimits.MaxExtensions"/> is illegal_parameter too.
    /// </summary>
    public static TlsExtensions Read(ref WireReader r, string what)
    {
        var result = new TlsExtensions();
        var block = new WireReader(r.ReadVector16(), TlsAlert.DecodeErrorCode, what + " extensions");
        var seen = new U16Set(stackalloc ulong[U16Set.Words]);
        while (!block.IsEmpty)
        {
            ushort type = block.ReadUInt16();
            var data = block.ReadVector16();
            if (!seen.Add(type)) throw TlsAlert.Error(TlsAlert.IllegalParameter, $"{what}: duplicate extension {type}");
            TlsLimits.Check(result._items.Count + 1, TlsLimits.MaxExtensions, what + " extensions");
            result._items.Add((type, data.ToArray()));
        }
        return result;
    }

    public byte[]? Get(ushort type)
    {
        foreach (var (t, d) in _items) if (t == type) return d;
        return null;
    }

    public bool Has(ushort type) => Get(type) is not null;

    public ushort? LastType => _items.Count == 0 ? null : _items[^1].Type;

    /// <summary>Throws when an extension outside <paramref name="allowed"/> is present (RFC 8446 §4.2: illegal_parameter / unsupported_extension).</summary>
    public void OnlyAllow(string what, byte alert, params ushort[] allowed)
    {
        foreach (var (t, _) in _items)
            if (Array.IndexOf(allowed, t) < 0) throw TlsAlert.Error(alert, $"{what}: extension {t} not allowed here");
    }

    public static WireReader Reader(byte[] data, string what) => new(data, TlsAlert.DecodeErrorCode, what);

    /// <summary>Parses an ALPN ProtocolNameList (RFC 7301 §3.1).</summary>
    public static List<byte[]> ParseAlpn(byte[] data)
    {
        var r = Reader(data, "application_layer_protocol_negotiation");
        var list = new WireReader(r.ReadVector16(), TlsAlert.DecodeErrorCode, "ALPN list");
        if (!r.IsEmpty || list.IsEmpty) throw r.Fail("malformed");
        var result = new List<byte[]>();
        while (!list.IsEmpty)
        {
            var name = list.ReadVector8();
            if (name.IsEmpty) throw list.Fail("empty protocol name");
            TlsLimits.Check(result.Count + 1, TlsLimits.MaxAlpnProtocols, "ALPN list");
            result.Add(name.ToArray());
        }
        return result;
    }

    public static void WriteAlpn(TlsWriter w, IEnumerable<string> protocols)
    {
        int ext = w.BeginExtension(ExtensionType.Alpn);
        int list = w.BeginLength(2);
        foreach (var p in protocols) w.Vector8(Encoding.UTF8.GetBytes(p));
        w.EndLength(list);
        w.EndLength(ext);
    }

    /// <summary>
    /// Parses a list of uint16 with a 16-bit (or 8-bit) length prefix, the whole body; at most
    /// <see cref="TlsLimits.MaxListEntries"/> entries (illegal_parameter beyond).
    /// </summary>
    public static List<ushort> ParseU16List(byte[] data, string what, bool shortPrefix = false)
    {
        var r = Reader(data, what);
        var body = shortPrefix ? r.ReadVector8() : r.ReadVector16();
        if (!r.IsEmpty || body.Length == 0 || body.Length % 2 != 0) throw r.Fail("malformed list");
        TlsLimits.Check(body.Length / 2, TlsLimits.MaxListEntries, what);
        var inner = new WireReader(body, TlsAlert.DecodeErrorCode, what);
        var result = new List<ushort>(body.Length / 2);
        while (!inner.IsEmpty) result.Add(inner.ReadUInt16());
        return result;
    }

    /// <summary>Parses the server_name extension from a ClientHello (RFC 6066 §3); returns the host name or null.</summary>
    public static string? ParseServerName(byte[] data)
    {
        var r = Reader(data, "server_name");
        var list = new WireReader(r.ReadVector16(), TlsAlert.DecodeErrorCode, "server_name");
        if (!r.IsEmpty || list.IsEmpty) throw r.Fail("malformed");
        string? host = null;
        while (!list.IsEmpty)
        {
            byte type = list.ReadByte();
            var name = list.ReadVector16();
            if (type != 0) continue;
            if (host is not null) throw TlsAlert.Error(TlsAlert.IllegalParameter, "server_name: two host names");
            if (name.IsEmpty) throw list.Fail("empty host name");
            foreach (byte b in name)
                if (b < 0x21 || b > 0x7e) throw TlsAlert.Error(TlsAlert.IllegalParameter, "server_name: invalid host name");
            host = Encoding.ASCII.GetString(name);
        }
        return host;
    }

    public static void WriteServerName(TlsWriter w, string host)
    {
        int ext = w.BeginExtension(ExtensionType.ServerName);
        int list = w.BeginLength(2);
        w.U8(0);
        w.Vector16(Encoding.ASCII.GetBytes(host));
        w.EndLength(list);
        w.EndLength(ext);
    }
}
