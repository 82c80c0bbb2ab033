using Pliant.Quic.Streams;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Streams;

/// <summary>A tiny test-side decoder for the frames StreamManager writes; dispatches into a peer manager.</summary>
internal static class TestFrameDecoder
{
    public readonly record struct Decoded(ulong Type, ulong A, ulong B, ulong C, byte[]? Data, bool Fin);

    public static List<Decoded> Decode(ReadOnlySpan<byte> bytes)
    {
        var list = new List<Decoded>();
        var r = new WireReader(bytes, TransportErrorCode.FrameEncodingError, "test");
        while (!r.IsEmpty)
        {
            ulong type = r.ReadVarInt();
            switch (type)
            {
                case 0x04:
                    list.Add(new Decoded(type, r.ReadVarInt(), r.ReadVarInt(), r.ReadVarInt(), null, false));
                    break;
                case 0x05: case 0x11: case 0x15:
                    list.Add(new Decoded(type, r.ReadVarInt(), r.ReadVarInt(), 0, null, false));
                    break;
                case 0x10: case 0x12: case 0x13: case 0x14: case 0x16: case 0x17:
                    list.Add(new Decoded(type, r.ReadVarInt(), 0, 0, null, false));
                    break;
                case >= 0x08 and <= 0x0f:
                {
                    ulong id = r.ReadVarInt();
                    ulong off = (type & 0x04) != 0 ? r.ReadVarInt() : 0;
                    int len = (type & 0x02) != 0 ? r.ReadVarIntLength() : r.Remaining;
                    byte[] data = r.ReadBytes(len).ToArray();
                    list.Add(new Decoded(type, id, off, 0, data, (type & 0x01) != 0));
                    break;
                }
                default:
                    throw new InvalidOperationException($"unexpected frame type {type:x}");
            }
        }
        return list;
    }

    public static void Feed(StreamManager m, ReadOnlySpan<byte> bytes, long nowUs = 0)
    {
        foreach (var f in Decode(bytes)) Apply(m, f, nowUs);
    }

    public static void Apply(StreamManager m, Decoded f, long nowUs = 0)
    {
        switch (f.Type)
        {
            case 0x04: m.OnResetStream(f.A, f.B, f.C); break;
            case 0x05: m.OnStopSending(f.A, f.B); break;
            case 0x10: m.OnMaxData(f.A); break;
            case 0x11: m.OnMaxStreamData(f.A, f.B); break;
            case 0x12: m.OnMaxStreams(true, f.A); break;
            case 0x13: m.OnMaxStreams(false, f.A); break;
            case 0x14: m.OnDataBlocked(f.A); break;
            case 0x15: m.OnStreamDataBlocked(f.A, f.B); break;
            case 0x16: m.OnStreamsBlocked(true, f.A); break;
            case 0x17: m.OnStreamsBlocked(false, f.A); break;
            default: m.OnStreamFrame(f.A, f.B, f.Data, f.Fin, nowUs); break;
        }
    }
}
