namespace Pliant.Quic.Wire;

/// <summary>Transport parameter identifiers (RFC 9000 §18.2, RFC 9221 §3, RFC 9368 §5, draft-ietf-quic-multipath-21 §2.1).</summary>
public enum TransportParameterId : ulong
{
    OriginalDestinationConnectionId = 0x00,
    MaxIdleTimeout = 0x01,
    StatelessResetToken = 0x02,
    MaxUdpPayloadSize = 0x03,
    InitialMaxData = 0x04,
    InitialMaxStreamDataBidiLocal = 0x05,
    InitialMaxStreamDataBidiRemote = 0x06,
    InitialMaxStreamDataUni = 0x07,
    InitialMaxStreamsBidi = 0x08,
    InitialMaxStreamsUni = 0x09,
    AckDelayExponent = 0x0a,
    MaxAckDelay = 0x0b,
    DisableActiveMigration = 0x0c,
    PreferredAddress = 0x0d,
    ActiveConnectionIdLimit = 0x0e,
    InitialSourceConnectionId = 0x0f,
    RetrySourceConnectionId = 0x10,
    /// <summary>version_information (RFC 9368 §5).</summary>
    VersionInformation = 0x11,

    /// <summary>version_information under draft-ietf-quic-version-negotiation's provisional id (ngtcp2 0.12).</summary>
    VersionInformationDraft = 0xff73db,
    /// <summary>max_datagram_frame_size (RFC 9221 §3).</summary>
    MaxDatagramFrameSize = 0x20,
    /// <summary>initial_max_path_id (draft-ietf-quic-multipath-21 §2.1, §6).</summary>
    InitialMaxPathId = 0x3e,
}
