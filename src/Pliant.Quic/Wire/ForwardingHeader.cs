using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Pliant.Quic.Connection;

namespace Pliant.Quic.Wire;

/// <summary>
/// The header a Pliant router (<c>pliant route</c>) puts in front of each datagram it forwards to a Pliant
/// backend, and the backend in front of each datagram it sends back, so that the router needs no
/// per-connection table: the client's address travels with every datagram (docs/routing.md, "Forwarding
/// header").
/// <code>
/// Forwarding Header {
///   Type (8) = 0x24 (client address is IPv4) | 0x26 (IPv6),
///   ECN (8),              // low two bits: the IP ECN field received from / to set towards the client
///   Client Port (16),
///   Client Address (32 | 128),
/// }
/// </code>
/// 8 bytes for an IPv4 client, 20 for IPv6, followed by the QUIC datagram unchanged. The type byte has the
/// QUIC fixed bit (0x40) clear, so a QUIC endpoint that is not expecting the header discards such a datagram
/// (RFC 9000 §17.2, §17.3.1) instead of misreading it.
/// </summary>
public static class ForwardingHeader
{
    /// <summary>Type byte for an IPv4 client address.</summary>
    public const byte TypeIPv4 = 0x24;

    /// <summary>Type byte for an IPv6 client address.</summary>
    public const byte TypeIPv6 = 0x26;

    /// <summary>Header length with an IPv4 client address.</summary>
    public const int LengthIPv4 = 8;

    /// <summary>Header length with an IPv6 client address.</summary>
    public const int LengthIPv6 = 20;

    /// <summary>The longest header.</summary>
    public const int MaxLength = LengthIPv6;

    /// <summary>Header length for <paramref name="client"/> (IPv4-mapped IPv6 addresses count as IPv4).</summary>
    public static int LengthFor(IPEndPoint client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return IsV4(client.Address) ? LengthIPv4 : LengthIPv6;
    }

    /// <summary>Writes the header for <paramref name="client"/> and <paramref name="ecn"/>; returns its length. Allocation-free.</summary>
    public static int Write(Span<byte> destination, IPEndPoint client, EcnCodepoint ecn)
    {
        ArgumentNullException.ThrowIfNull(client);
        var address = client.Address;
        bool v4 = IsV4(address);
        int length = v4 ? LengthIPv4 : LengthIPv6;
        if (destination.Length < length) throw new ArgumentException("destination too short for the forwarding header", nameof(destination));
        destination[0] = v4 ? TypeIPv4 : TypeIPv6;
        destination[1] = (byte)((byte)ecn & 0x03);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)client.Port);
        if (v4 && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> mapped = stackalloc byte[16];
            address.TryWriteBytes(mapped, out _);
            mapped[12..].CopyTo(destination[4..]);
        }
        else
        {
            address.TryWriteBytes(destination[4..length], out _);
        }
        return length;
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="datagram"/>. False when the datagram is too short or
    /// the type byte is neither <see cref="TypeIPv4"/> nor <see cref="TypeIPv6"/>, or the ECN byte has bits
    /// other than the low two. <paramref name="address"/> is 4 or 16 bytes of <paramref name="datagram"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out int headerLength, out EcnCodepoint ecn, out ushort port, out ReadOnlySpan<byte> address)
    {
        headerLength = 0;
        ecn = EcnCodepoint.NotEct;
        port = 0;
        address = default;
        if (datagram.Length < LengthIPv4) return false;
        int length = datagram[0] switch
        {
            TypeIPv4 => LengthIPv4,
            TypeIPv6 => LengthIPv6,
            _ => 0,
        };
        if (length == 0 || datagram.Length < length || (datagram[1] & 0xfc) != 0) return false;
        headerLength = length;
        ecn = (EcnCodepoint)datagram[1];
        port = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        address = datagram[4..length];
        return true;
    }

    /// <summary>Reads the header into a new <see cref="IPEndPoint"/> (allocates; hot paths use the span overload with a cache).</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out int headerLength, out EcnCodepoint ecn, out IPEndPoint? client)
    {
        client = null;
        if (!TryRead(datagram, out headerLength, out ecn, out ushort port, out var address)) return false;
        client = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    private static bool IsV4(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork || a.IsIPv4MappedToIPv6;
}
