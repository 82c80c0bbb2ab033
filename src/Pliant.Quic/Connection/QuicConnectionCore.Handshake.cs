using Pliant.Quic.Crypto;
using Pliant.Quic.Recovery;
using Pliant.Quic.Streams;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// TLS integration (RFC 9001 §4): CRYPTO data in and out, keys per level, transport parameters,
// handshake completion and confirmation, key discard.
public sealed partial class QuicConnectionCore
{
    private bool _handshakeComplete;
    private bool _handshakeConfirmed;
    private bool _handshakeDonePending;
    private bool _receivedFirstPacket;
    private bool _retryProcessed;
    private byte[] _token = [];
    private PacketKeys? _zeroRttSendKeys;
    private PacketKeys? _zeroRttReceiveKeys;
    private TransportParameters? _peerParameters;
    private ulong _peerMaxDatagramFrameSize;
    private int _peerAckDelayExponent = 3;
    private bool _versionNegotiated;
    private readonly Queue<byte[]> _datagramQueue = new();

    private TransportParameters BuildLocalTransportParameters()
    {
        var tp = new TransportParameters
        {
            MaxIdleTimeoutMs = (ulong)_options.IdleTimeout.TotalMilliseconds,
            MaxUdpPayloadSize = (ulong)_path.MaxDatagramSize,
            InitialMaxData = (ulong)_options.InitialMaxData,
            InitialMaxStreamDataBidiLocal = (ulong)_options.InitialMaxStreamData,
            InitialMaxStreamDataBidiRemote = (ulong)_options.InitialMaxStreamData,
            InitialMaxStreamDataUni = (ulong)_options.InitialMaxStreamData,
            InitialMaxStreamsBidi = (ulong)_options.MaxBidirectionalStreams,
            InitialMaxStreamsUni = (ulong)_options.MaxUnidirectionalStreams,
            AckDelayExponent = (ulong)_options.AckDelayExponent,
            MaxAckDelayMs = (ulong)_options.MaxAckDelay.TotalMilliseconds,
            ActiveConnectionIdLimit = (ulong)Math.Max(2, _options.ActiveConnectionIdLimit),
            DisableActiveMigration = _options.DisableActiveMigration,
            InitialSourceConnectionId = _initialScid,
            InitialMaxPathId = _options.MaxPathId, // draft-ietf-quic-multipath-21 §2.1 (null: not offered)
        };
        foreach (var (id, value) in _options.ExtraTransportParameters) tp.Unknown.Add((id, value));
        if (_options.MaxDatagramFrameSize > 0) tp.MaxDatagramFrameSize = (ulong)_options.MaxDatagramFrameSize;
        // RFC 9368 §3: advertise the versions we accept so the server may switch compatibly.
        // The server takes the first version of this list it supports (ChooseCompatibleVersion), so a
        // client that starts with a version it does not list first asks to be moved to the first one;
        // a client starting with a version it does not list at all keeps it first.
        var versions = _options.Versions.Where(QuicVersion.IsSupported).ToArray();
        if (IsClient && Array.IndexOf(versions, Version) < 0) versions = [Version, .. versions];
        if (versions.Length > 0)
        {
            tp.VersionInformation = new VersionInformation(Version, versions);
            tp.VersionInformationDraftId = versions.Contains(QuicVersion.V2Draft);
        }
        if (!IsClient)
        {
            tp.OriginalDestinationConnectionId = _originalDcid;
            if (_retryScid is { } r) tp.RetrySourceConnectionId = r;
            tp.StatelessResetToken = _cids.FirstResetToken;
        }
        return tp;
    }

    private uint _previousVersion;
    private PacketKeys? _previousVersionInitialKeys;

    /// <summary>
    /// RFC 9368 §2.3 (server): the client's version_information lists, in its order of preference, the
    /// versions it accepts. We take the first one we also accept; if that is not the version the
    /// client used (all our versions are mutually compatible, RFC 9369 §4), we switch to it before any
    /// handshake key exists and answer with transport parameters naming it.
    /// </summary>
    private byte[]? ChooseCompatibleVersion(byte[] clientParameters)
    {
        VersionInformation? offered;
        try { offered = TransportParameters.Decode(clientParameters, sentByServer: false).VersionInformation; }
        catch (QuicProtocolException) { return null; } // the TLS layer reports malformed parameters itself
        if (offered is null) return null;
        foreach (uint preferred in offered.AvailableVersions)
        {
            if (!QuicVersion.IsSupported(preferred) || !_options.Versions.Contains(preferred)) continue;
            if (preferred == Version) return null; // the client's favourite is what it already uses
            _previousVersion = Version;
            _previousVersionInitialKeys = _spaces[0].ReceiveKeys;
            Version = preferred;
            _versionNegotiated = true;
            InstallInitialKeys(_cids.ClientInitialDcid);
            return BuildLocalTransportParameters().Encode();
        }
        return null;
    }

    private void InstallInitialKeys(ConnectionId dcid)
    {
        InitialSecrets.CreateKeys(Version, dcid.Span, !IsClient, out var send, out var receive);
        var s = _spaces[(int)PacketSpace.Initial];
        s.SendKeys = send;
        s.ReceiveKeys = receive;
    }

    private void ApplyRememberedTransportParameters(byte[] encoded)
    {
        try
        {
            var tp = TransportParameters.Decode(encoded, sentByServer: true);
            _streams.SetPeerLimits(PeerLimitsFrom(tp));
            _peerMaxDatagramFrameSize = tp.MaxDatagramFrameSize ?? 0;
        }
        catch (QuicProtocolException)
        {
            // A corrupt remembered set only costs 0-RTT.
        }
    }

    private static PeerStreamLimits PeerLimitsFrom(TransportParameters tp) => new()
    {
        InitialMaxData = tp.InitialMaxData,
        InitialMaxStreamDataBidiLocal = tp.InitialMaxStreamDataBidiLocal,
        InitialMaxStreamDataBidiRemote = tp.InitialMaxStreamDataBidiRemote,
        InitialMaxStreamDataUni = tp.InitialMaxStreamDataUni,
        MaxStreamsBidi = tp.InitialMaxStreamsBidi,
        MaxStreamsUni = tp.InitialMaxStreamsUni,
    };

    /// <summary>Feeds contiguous CRYPTO bytes of a level to TLS.</summary>
    private void DeliverCryptoData(PacketSpaceState space, EncryptionLevel level, long nowUs)
    {
        Span<byte> chunk = stackalloc byte[2048];
        while (true)
        {
            int n = space.CryptoReceive.Read(chunk, out _);
            if (n == 0) break;
            _tls.HandleCryptoData(level, chunk[..n]);
        }
        space.CryptoReceive.ReleaseIfDrained();
        ProcessTlsEvents(nowUs);
    }

    private void ProcessTlsEvents(long nowUs)
    {
        while (_tls.TryPollEvent(out var e))
        {
            switch (e.Kind)
            {
                case TlsEventKind.HandshakeData:
                    var target = SpaceFor(e.Level);
                    if (e.Level == EncryptionLevel.OneRtt)
                    {
                        // Post-handshake messages (NewSessionTicket) travel at 1-RTT.
                        _spaces[(int)PacketSpace.Application].CryptoSend.Write(e.Data!, fin: false);
                    }
                    else
                    {
                        target.CryptoSend.Write(e.Data!, fin: false);
                    }
                    break;
                case TlsEventKind.WriteSecret:
                    InstallSecret(e.Level, e.Suite, e.Secret!, write: true);
                    break;
                case TlsEventKind.ReadSecret:
                    InstallSecret(e.Level, e.Suite, e.Secret!, write: false);
                    break;
                case TlsEventKind.PeerTransportParameters:
                    ApplyPeerTransportParameters(e.Data!);
                    break;
                case TlsEventKind.HandshakeComplete:
                    OnHandshakeComplete(nowUs);
                    break;
                case TlsEventKind.NewSessionTicket:
                    if (e.Ticket is { } ticket)
                    {
                        ticket.TransportParameters = _peerParameters?.Encode();
                        Raise(new ConnectionEvent(ConnectionEventKind.SessionTicket, Ticket: ticket));
                    }
                    break;
                case TlsEventKind.EarlyDataRejected:
                    OnEarlyDataRejected();
                    break;
            }
        }
    }

    private PacketSpaceState SpaceFor(EncryptionLevel level) => level switch
    {
        EncryptionLevel.Initial => _spaces[(int)PacketSpace.Initial],
        EncryptionLevel.Handshake => _spaces[(int)PacketSpace.Handshake],
        _ => _spaces[(int)PacketSpace.Application],
    };

    private void InstallSecret(EncryptionLevel level, CipherSuite suite, byte[] secret, bool write)
    {
        var keys = PacketKeys.Create(suite, secret, Version);
        switch (level)
        {
            case EncryptionLevel.ZeroRtt:
                if (write) _zeroRttSendKeys = keys; else _zeroRttReceiveKeys = keys;
                break;
            case EncryptionLevel.Handshake:
                if (write) _spaces[1].SendKeys = keys; else _spaces[1].ReceiveKeys = keys;
                _path.Recovery.HasHandshakeKeys = true;
                break;
            case EncryptionLevel.OneRtt:
                if (write)
                {
                    _spaces[2].SendKeys = keys;
                }
                else
                {
                    _spaces[2].ReceiveKeys = keys;
                    // RFC 9001 §6.3: compute the next generation ahead so a key update can be
                    // recognised without a timing side channel.
                    _nextReceiveKeys = keys.NextGeneration();
                }
                break;
        }
    }

    private void ApplyPeerTransportParameters(byte[] encoded)
    {
        var tp = TransportParameters.Decode(encoded, sentByServer: IsClient);
        // RFC 9000 §7.3: authenticate the connection IDs used during the handshake.
        if (tp.InitialSourceConnectionId is not { } peerScid || peerScid != _peerInitialScid)
            throw new QuicProtocolException(TransportErrorCode.TransportParameterError, "initial_source_connection_id does not match");
        if (IsClient)
        {
            if (tp.OriginalDestinationConnectionId is not { } odcid || odcid != _originalDcid)
                throw new QuicProtocolException(TransportErrorCode.TransportParameterError, "original_destination_connection_id does not match");
            if (_retryProcessed)
            {
                if (tp.RetrySourceConnectionId is not { } rscid || rscid != _retryScid)
                    throw new QuicProtocolException(TransportErrorCode.TransportParameterError, "retry_source_connection_id does not match");
            }
            else if (tp.RetrySourceConnectionId is not null)
            {
                throw new QuicProtocolException(TransportErrorCode.TransportParameterError, "retry_source_connection_id without a Retry");
            }
            if (tp.StatelessResetToken is { } token)
            {
                _cids.SetFirstPeerResetToken(token);
            }
            // RFC 9368 §4: the server's chosen version must be the one in use.
            if (tp.VersionInformation is { } vi && vi.ChosenVersion != Version)
                throw new QuicProtocolException(TransportErrorCode.VersionNegotiationError, "version_information does not match the version in use");
        }
        _peerParameters = tp;
        _cids.PeerActiveLimit = (int)Math.Min(tp.ActiveConnectionIdLimit, 8);
        NegotiateMultipath(tp);
        _peerAckDelayExponent = (int)tp.AckDelayExponent;
        _path.Recovery.PeerMaxAckDelayUs = (long)tp.MaxAckDelayMs * 1000;
        _peerMaxDatagramFrameSize = tp.MaxDatagramFrameSize ?? 0;
        // RFC 9000 §10.1: the effective idle timeout is the minimum of both sides' (0 = none).
        if (tp.MaxIdleTimeoutMs > 0)
        {
            long peerUs = (long)tp.MaxIdleTimeoutMs * 1000;
            _idleTimeoutUs = _idleTimeoutUs == 0 ? peerUs : Math.Min(_idleTimeoutUs, peerUs);
        }
        _peerMaxUdpPayload = (int)Math.Min(tp.MaxUdpPayloadSize, 65527);
        _streams.SetPeerLimits(PeerLimitsFrom(tp));
        Raise(new ConnectionEvent(ConnectionEventKind.PeerParametersReceived));
    }

    private void OnHandshakeComplete(long nowUs)
    {
        _handshakeComplete = true;
        _deadlines.Stop(ConnectionTimer.Handshake);
        if (_state == ConnectionState.Handshaking) _state = ConnectionState.Connected;
        if (!IsClient)
        {
            // RFC 9001 §4.1.2: the server's handshake is confirmed once it completes.
            _handshakeDonePending = true;
            ConfirmHandshake(nowUs);
            if (_tokenKey is not null) _newTokenPending = true;
        }
        // Larger datagrams once a probe of that size was acknowledged, up to both sides' limits (RFC 9000 §14.3).
        StartPmtuDiscovery(_path, nowUs);
        _cids.TopUp();
        IssuePathConnectionIds();
        if (!IsClient) _registry?.HandshakeEnded(this);
        Raise(new ConnectionEvent(ConnectionEventKind.Connected));
        if (Operations.IsHooked(Pliant.Quic.Operations.OperationId.ConnOnHandshakeDone))
            Operations.Invoke(Pliant.Quic.Operations.OperationId.ConnOnHandshakeDone, 0);
        NotifyStateChange();
    }

    private void ConfirmHandshake(long nowUs)
    {
        if (_handshakeConfirmed) return;
        _handshakeConfirmed = true;
        _path.Recovery.HandshakeConfirmed = true;
        _path.Recovery.PeerCompletedAddressValidation = true;
        // RFC 9001 §4.9.2: discard Handshake keys once the handshake is confirmed.
        DiscardSpace(PacketSpace.Handshake, nowUs);
        _zeroRttReceiveKeys = IsClient ? null : _zeroRttReceiveKeys;
        if (IsClient) _zeroRttSendKeys = null;
    }

    private readonly List<SentPacket> _scratchPackets = [];

    private void DiscardSpace(PacketSpace space, long nowUs)
    {
        var s = _spaces[(int)space];
        if (s.Discarded) return;
        s.Discard();
        if (_qlog is not null && space is PacketSpace.Initial or PacketSpace.Handshake)
        {
            // RFC 9001 §4.9.1, §4.9.2: both directions' keys of the space go.
            string name = space == PacketSpace.Initial ? "initial" : "handshake";
            _qlog.KeyDiscarded(nowUs, $"client_{name}_secret", keyPhase: null, "tls");
            _qlog.KeyDiscarded(nowUs, $"server_{name}_secret", keyPhase: null, "tls");
        }
        _path.Recovery.DiscardSpace(space, _scratchPackets, nowUs);
        _scratchPackets.Clear();
    }

    private void OnEarlyDataRejected()
    {
        // RFC 9001 §4.6.2: everything sent in 0-RTT is lost; streams resend it in 1-RTT.
        _zeroRttSendKeys = null;
        foreach (ulong pn in _zeroRttPacketNumbers)
        {
            if (_path.Recovery.GetSentPacket(PacketSpace.Application, pn) is { } p)
            {
                OnPacketLost(p, _path);
                p.Frames.Clear(); // resent once; a later loss declaration has nothing to resend
            }
        }
        _zeroRttPacketNumbers.Clear();
        Raise(new ConnectionEvent(ConnectionEventKind.EarlyDataRejected));
    }
}
