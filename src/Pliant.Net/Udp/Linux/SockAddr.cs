using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Pliant.Net.Udp.Linux;

/// <summary>Hand marshalling of sockaddr_in / sockaddr_in6, without allocation.</summary>
internal static unsafe class SockAddr
{
    public const int V4Size = 16, V6Size = 28;

    /// <summary>
    /// Writes <paramref name="ep"/> for a socket of family <paramref name="socketFamily"/>; an IPv4
    /// destination on an IPv6 socket is written IPv4-mapped. Returns the sockaddr length.
    /// </summary>
    public static int Write(IPEndPoint ep, int socketFamily, LibC.SockAddrStorage* storage)
    {
        var span = new Span<byte>(storage, sizeof(LibC.SockAddrStorage));
        span.Clear();
        var address = ep.Address;
        if (socketFamily == LibC.AF_INET)
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                if (!address.IsIPv4MappedToIPv6) throw new ArgumentException("IPv6 destination on an IPv4 socket.", nameof(ep));
                address = address.MapToIPv4();
            }
            BinaryPrimitives.WriteUInt16LittleEndian(span, LibC.AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)ep.Port);
            address.TryWriteBytes(span.Slice(4, 4), out _);
            return V4Size;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(span, LibC.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)ep.Port);
        var addr = span.Slice(8, 16);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            addr[10] = 0xff;
            addr[11] = 0xff;
            address.TryWriteBytes(addr[12..], out _);
        }
        else
        {
            address.TryWriteBytes(addr, out _);
            BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)address.ScopeId);
        }
        return V6Size;
    }

    /// <summary>Reads a sockaddr the kernel filled in; null for an unknown family.</summary>
    public static IPEndPoint? Read(LibC.SockAddrStorage* storage, EndPointCache cache)
    {
        var span = new ReadOnlySpan<byte>(storage, sizeof(LibC.SockAddrStorage));
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(span);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        return family switch
        {
            LibC.AF_INET => cache.GetV4(span.Slice(4, 4), port),
            LibC.AF_INET6 => cache.GetV6(span.Slice(8, 16), port, BinaryPrimitives.ReadUInt32LittleEndian(span[24..])),
            _ => null,
        };
    }
}
