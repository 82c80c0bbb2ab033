namespace Pliant.Quic.Wire;

/// <summary>
/// The initial_max_path_id rules (draft-ietf-quic-multipath-21 §2.1) that need more than the
/// transport parameter codec knows: what both endpoints sent, the connection IDs of the packet that
/// carried the parameters, and the AEAD's nonce length. The codec itself rejects values above
/// 2^32-1 (<see cref="TransportParameters.Decode"/>).
/// </summary>
public static class MultipathParameters
{
    /// <summary>The shortest AEAD nonce usable with multipath: 12 bytes (draft-ietf-quic-multipath-21 §2.1, §2.4).</summary>
    public const int MinNonceLength = 12;

    /// <summary>
    /// draft-ietf-quic-multipath-21 §2: multipath is used only when both endpoints sent
    /// initial_max_path_id; otherwise neither may use any multipath frame or mechanism.
    /// </summary>
    public static bool IsNegotiated(TransportParameters local, TransportParameters peer)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(peer);
        return local.InitialMaxPathId.HasValue && peer.InitialMaxPathId.HasValue;
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §2.1: when initial_max_path_id is received in a packet with a
    /// zero-length connection ID, the receiver MUST close with PROTOCOL_VIOLATION. Call with the
    /// Destination and Source Connection ID lengths of the long-header packet(s) that carried the
    /// peer's transport parameters. Does nothing when the peer did not send initial_max_path_id.
    /// </summary>
    public static void CheckConnectionIdLengths(TransportParameters peer, int destinationCidLength, int sourceCidLength)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.InitialMaxPathId is null) return;
        if (destinationCidLength == 0 || sourceCidLength == 0)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation,
                "initial_max_path_id received in a packet with a zero-length connection ID");
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §2.1: a cipher suite whose AEAD nonce is shorter than 12 bytes
    /// cannot be used with multipath; when one is selected and both endpoints support multipath the
    /// handshake MUST fail with TRANSPORT_PARAMETER_ERROR. (Every QUIC v1/v2 suite has a 12-byte nonce.)
    /// </summary>
    public static void CheckNonceLength(TransportParameters local, TransportParameters peer, int aeadNonceLength)
    {
        if (IsNegotiated(local, peer) && aeadNonceLength < MinNonceLength)
            throw new QuicProtocolException(TransportErrorCode.TransportParameterError,
                $"multipath needs an AEAD nonce of at least {MinNonceLength} bytes, the cipher suite has {aeadNonceLength}");
    }
}
