namespace Pliant.Quic.Recovery;

/// <summary>
/// The three packet number spaces (RFC 9000 §12.3). 0-RTT and 1-RTT packets share
/// <see cref="Application"/>.
/// </summary>
public enum PacketSpace
{
    /// <summary>Initial packets.</summary>
    Initial = 0,

    /// <summary>Handshake packets.</summary>
    Handshake = 1,

    /// <summary>0-RTT and 1-RTT packets.</summary>
    Application = 2,
}

/// <summary>Helpers for <see cref="PacketSpace"/>.</summary>
public static class PacketSpaces
{
    /// <summary>The number of packet number spaces.</summary>
    public const int Count = 3;

    /// <summary>The packet number space an encryption level uses.</summary>
    public static PacketSpace FromLevel(EncryptionLevel level) => level switch
    {
        EncryptionLevel.Initial => PacketSpace.Initial,
        EncryptionLevel.Handshake => PacketSpace.Handshake,
        _ => PacketSpace.Application,
    };
}
