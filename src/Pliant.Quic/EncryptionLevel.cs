namespace Pliant.Quic;

/// <summary>
/// The four encryption levels of QUIC (RFC 9001 §4). Initial, Handshake and OneRtt each have a
/// packet number space of their own; ZeroRtt shares the application space with OneRtt.
/// </summary>
public enum EncryptionLevel
{
    Initial = 0,
    ZeroRtt = 1,
    Handshake = 2,
    OneRtt = 3,
}
