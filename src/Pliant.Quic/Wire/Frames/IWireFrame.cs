namespace Pliant.Quic.Wire;

/// <summary>A frame that can size and write itself (type included).</summary>
public interface IWireFrame
{
    /// <summary>Bytes <see cref="Write"/> produces.</summary>
    int EncodedLength { get; }

    /// <summary>Writes the frame; <paramref name="dest"/> must hold <see cref="EncodedLength"/> bytes.</summary>
    int Write(Span<byte> dest);
}

/// <summary>Helpers over <see cref="IWireFrame"/>.</summary>
public static class WireFrames
{
    /// <summary>Writes <paramref name="frame"/> when it fits in <paramref name="dest"/>; returns bytes written, 0 if it does not fit.</summary>
    public static int WriteIfFits<T>(Span<byte> dest, T frame) where T : IWireFrame, allows ref struct
    {
        int length = frame.EncodedLength;
        return length <= dest.Length ? frame.Write(dest) : 0;
    }
}
