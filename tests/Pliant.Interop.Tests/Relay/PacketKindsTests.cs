using System.Buffers.Binary;
using Pliant.Cli.Relay;

namespace Pliant.Interop.Tests.Relay;

/// <summary>The relay's trace names the coalesced packets of a datagram from their unprotected headers.</summary>
public sealed class PacketKindsTests
{
    /// <summary>A long-header packet: type bits, version, 8-byte CIDs, (Initial) empty token, 2-byte Length, payload.</summary>
    private static byte[] Long(int typeBits, uint version, int payload, bool initial)
    {
        var p = new List<byte> { (byte)(0xC0 | typeBits << 4) };
        var v = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(v, version);
        p.AddRange(v);
        p.Add(8);
        p.AddRange(new byte[8]);
        p.Add(8);
        p.AddRange(new byte[8]);
        if (initial) p.Add(0); // token length 0
        p.Add((byte)(0x40 | payload >> 8));
        p.Add((byte)payload);
        p.AddRange(new byte[payload]);
        return [.. p];
    }

    [Fact]
    public void NamesCoalescedV1Packets()
    {
        byte[] d = [.. Long(0, 1, 100, initial: true), .. Long(2, 1, 50, initial: false), 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        Assert.Equal("I+H+1", PacketKinds.Describe(d));
    }

    [Fact]
    public void UsesV2TypeNumbers()
    {
        // RFC 9369 §3.2: Initial = 0b01, Handshake = 0b11.
        byte[] d = [.. Long(1, 0x6b3343cf, 20, initial: true), .. Long(3, 0x6b3343cf, 20, initial: false)];
        Assert.Equal("I+H", PacketKinds.Describe(d));
    }

    [Fact]
    public void NamesVersionNegotiationRetryAndZeroRtt()
    {
        Assert.Equal("VN", PacketKinds.Describe([0x80, 0, 0, 0, 0, 0, 0, 1, 2]));
        Assert.Equal("R", PacketKinds.Describe(Long(3, 1, 30, initial: false)));
        Assert.Equal("0", PacketKinds.Describe(Long(1, 1, 30, initial: false)));
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0, 0, 0 })]
    [InlineData(new byte[] { 0xC0, 0, 0, 0, 1, 200, 0 })]
    public void TruncatedOrGarbageNeverThrows(byte[] d) => Assert.NotNull(PacketKinds.Describe(d));

    [Fact]
    public void LengthBeyondTheDatagramStopsTheWalk()
    {
        var d = Long(2, 1, 50, initial: false);
        Assert.Equal("H", PacketKinds.Describe(d.AsSpan(0, d.Length - 10)));
    }
}
