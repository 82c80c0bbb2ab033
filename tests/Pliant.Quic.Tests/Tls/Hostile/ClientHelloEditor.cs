namespace Pliant.Quic.Tests.Tls.Hostile;

/// <summary>
/// Takes a ClientHello apart into the fields before the extensions and the extension list, lets a test
/// change the list, and puts it back together with the lengths fixed up (RFC 8446 §4.1.2).
/// </summary>
internal sealed class ClientHelloEditor
{
    private readonly byte[] _head;

    public ClientHelloEditor(byte[] clientHello)
    {
        int p = 4 + 2 + 32;
        p += 1 + clientHello[p];
        p += 2 + (clientHello[p] << 8 | clientHello[p + 1]);
        p += 1 + clientHello[p];
        _head = clientHello[4..p];
        int end = p + 2 + (clientHello[p] << 8 | clientHello[p + 1]);
        p += 2;
        while (p < end)
        {
            ushort type = (ushort)(clientHello[p] << 8 | clientHello[p + 1]);
            int length = clientHello[p + 2] << 8 | clientHello[p + 3];
            Extensions.Add((type, clientHello[(p + 4)..(p + 4 + length)]));
            p += 4 + length;
        }
    }

    public List<(ushort Type, byte[] Data)> Extensions { get; } = [];

    public void Replace(ushort type, byte[] data)
    {
        int i = Extensions.FindIndex(e => e.Type == type);
        Extensions[i] = (type, data);
    }

    public byte[] Build()
    {
        var body = new List<byte>(_head);
        int extLength = Extensions.Sum(e => 4 + e.Data.Length);
        body.Add((byte)(extLength >> 8));
        body.Add((byte)extLength);
        foreach (var (type, data) in Extensions)
        {
            body.AddRange([(byte)(type >> 8), (byte)type, (byte)(data.Length >> 8), (byte)data.Length]);
            body.AddRange(data);
        }
        return [1, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count, .. body];
    }

    /// <summary>A uint16 list with a 16-bit length prefix (supported_groups, signature_algorithms).</summary>
    public static byte[] U16List(IEnumerable<ushort> values)
    {
        var list = values.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        return [(byte)(list.Length >> 8), (byte)list.Length, .. list];
    }
}
