using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Net.Internal;

/// <summary>
/// Connection IDs of one driver among <c>count</c> on a reuseport group: random, except that the first
/// byte modulo <c>count</c> is the driver's index, which the group's steering program reads
/// (<see cref="Udp.Linux.ReusePortGroup"/>). The other bytes stay random (RFC 9000 §5.1: unlinkable,
/// unpredictable); the first carries log2(count) bits of routing information, as QUIC-LB's do.
/// </summary>
internal sealed class DriverConnectionIds : IConnectionIdGenerator
{
    private readonly int _index;
    private readonly int _count;

    public DriverConnectionIds(int index, int count, int length = 8)
    {
        if (count < 1 || count > 256 || index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index));
        _index = index;
        _count = count;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The driver a connection ID belongs to.</summary>
    public static int DriverOf(ReadOnlySpan<byte> cid, int count) => cid.IsEmpty ? 0 : cid[0] % count;

    public ConnectionId Generate()
    {
        Span<byte> b = stackalloc byte[Length];
        RandomSource.Secure.Fill(b);
        // Uniform over the first byte values that name this driver: below the largest multiple of count.
        int span = 256 / _count * _count;
        int v = b[0] % span;
        b[0] = (byte)(v - v % _count + _index);
        return new ConnectionId(b);
    }
}
