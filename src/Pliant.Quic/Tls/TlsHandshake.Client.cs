using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tls;

/// <summary>The client state machine (RFC 8446 §A.1).</summary>
public sealed partial class TlsHandshake
{
    private enum ClientState { Idle, WaitServerHello, WaitEncryptedExtensions, WaitCertificate, WaitCertificateVerify, WaitFinished, Connected }

    private TlsClientOptions? _clientOptions;
    private ClientState _clientState;
    private byte[] _clientRandom = [];
    private IKeyExchange? _keyShare;
    private TlsSessionTicket? _offeredTicket;
    private bool _earlyDataOffered, _retried;
    private CipherSuite? _retrySuite;
    private byte[]? _cookie;
    private byte[]? _resumptionMasterSecret;

    private TlsClientOptions ClientOptions => _clientOptions!;

    private void ClientStart()
    {
        var o = ClientOptions;
        _clientRandom = new byte[32];
        RandomSource.Secure.Fill(_clientRandom);
        _keyShare = KeyExchange.Create(o.Groups[0]);
        var now = o.Time.GetUtcNow();
        if (o.ResumptionTicket is { } t && o.CipherSuites.Contains(t.Suite) && now < t.IssuedAt + t.Lifetime
            && (t.ServerName is null || string.Equals(t.ServerName, o.ServerName, StringComparison.OrdinalIgnoreCase)))
        {
            _offeredTicket = t;
            UsedTicket = t;
            // RFC 8446 §4.2.10: early data only under the ticket's ALPN; RFC 9001 §4.6.1: max_early_data_size is 0xffffffff.
            _earlyDataOffered = o.EnableEarlyData && t.MaxEarlyDataSize > 0 && t.ApplicationProtocol is { } alpn && o.ApplicationProtocols.Contains(alpn);
        }
        byte[] hello = BuildClientHello();
        _transcript.Add(hello);
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.Initial, hello);
        if (_earlyDataOffered)
        {
            var t0 = _offeredTicket!;
            var early = new KeySchedule(t0.Suite, t0.ResumptionSecret);
            byte[] secret = early.ClientEarlyTrafficSecret(_transcript.Hash(early.Hash));
            _events.Enqueue(new TlsEvent(TlsEventKind.WriteSecret, EncryptionLevel.ZeroRtt, null, t0.Suite, secret));
        }
        _clientState = ClientState.WaitServerHello;
    }

    /// <summary>Builds ClientHello (RFC 8446 §4.1.2), computing the PSK binder over the truncated message (§4.2.11.2).</summary>
    private byte[] BuildClientHello()
    {
        var o = ClientOptions;
        var w = new TlsWriter();
        int m = w.BeginMessage(HandshakeType.ClientHello);
        w.U16(TlsVersion.Tls12);
        w.Bytes(_clientRandom);
        w.U8(0); // RFC 9001 §8.4: empty legacy_session_id
        int suites = w.BeginLength(2);
        foreach (var s in o.CipherSuites) w.U16((ushort)s);
        w.EndLength(suites);
        w.U8(1); w.U8(0); // legacy_compression_methods = [null]
        int exts = w.BeginLength(2);
        if (o.ServerName is { } host && !IPAddress.TryParse(host, out _)) // RFC 6066 §3: no IP literals in SNI
            TlsExtensions.WriteServerName(w, host);
        int e = w.BeginExtension(ExtensionType.SupportedGroups);
        int l = w.BeginLength(2);
        foreach (var g in o.Groups) w.U16((ushort)g);
        w.EndLength(l); w.EndLength(e);
        e = w.BeginExtension(ExtensionType.SignatureAlgorithms);
        l = w.BeginLength(2);
        foreach (ushort s in SignatureScheme.Supported) w.U16(s);
        w.EndLength(l); w.EndLength(e);
        e = w.BeginExtension(ExtensionType.KeyShare);
        l = w.BeginLength(2);
        w.U16((ushort)_keyShare!.Group);
        w.Vector16(_keyShare.PublicKey);
        w.EndLength(l); w.EndLength(e);
        e = w.BeginExtension(ExtensionType.SupportedVersions);
        w.U8(2); w.U16(TlsVersion.Tls13);
        w.EndLength(e);
        e = w.BeginExtension(ExtensionType.PskKeyExchangeModes);
        w.U8(1); w.U8(1); // psk_dhe_ke only
        w.EndLength(e);
        TlsExtensions.WriteAlpn(w, o.ApplicationProtocols);
        e = w.BeginExtension(ExtensionType.QuicTransportParameters);
        w.Bytes(_localTransportParameters);
        w.EndLength(e);
        if (_cookie is not null)
        {
            e = w.BeginExtension(ExtensionType.Cookie);
            w.Vector16(_cookie);
            w.EndLength(e);
        }
        // RFC 8446 §4.2.10: no early_data after a HelloRetryRequest.
        if (_earlyDataOffered && !_retried)
        {
            e = w.BeginExtension(ExtensionType.EarlyData);
            w.EndLength(e);
        }
        if (o.ClientHelloPadding > 0)
        {
            // RFC 7685 §3: zero bytes; before pre_shared_key, which must be last (RFC 8446 §4.2.11).
            e = w.BeginExtension(ExtensionType.Padding);
            w.Bytes(new byte[o.ClientHelloPadding]);
            w.EndLength(e);
        }
        int hashLength = 0;
        if (_offeredTicket is { } t)
        {
            // RFC 8446 §4.2.11: pre_shared_key is the last extension.
            hashLength = t.Suite.HashLength();
            e = w.BeginExtension(ExtensionType.PreSharedKey);
            l = w.BeginLength(2);
            w.Vector16(t.Ticket);
            // RFC 8446 §4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add (mod 2^32).
            long ageMs = Math.Max(0L, (long)(o.Time.GetUtcNow() - t.IssuedAt).TotalMilliseconds);
            w.U32(unchecked((uint)ageMs + t.AgeAdd));
            w.EndLength(l);
            l = w.BeginLength(2);
            w.U8(hashLength);
            w.Bytes(new byte[hashLength]);
            w.EndLength(l);
            w.EndLength(e);
        }
        w.EndLength(exts);
        w.EndLength(m);
        byte[] hello = w.ToArray();
        if (_offeredTicket is { } ticket)
        {
            var early = new KeySchedule(ticket.Suite, ticket.ResumptionSecret);
            int truncated = hello.Length - (2 + 1 + hashLength);
            byte[] th = _transcript.HashWith(early.Hash, hello.AsSpan(0, truncated));
            early.VerifyData(early.BinderKey(), th).CopyTo(hello, hello.Length - hashLength);
        }
        return hello;
    }

    private void ClientMessage(byte type, byte[] message)
    {
        switch (type)
        {
            case HandshakeType.ServerHello when _clientState == ClientState.WaitServerHello:
                OnServerHello(message);
                break;
            case HandshakeType.EncryptedExtensions when _clientState == ClientState.WaitEncryptedExtensions:
                OnEncryptedExtensions(message);
                break;
            case HandshakeType.Certificate when _clientState == ClientState.WaitCertificate:
                OnCertificate(message);
                break;
            case HandshakeType.CertificateVerify when _clientState == ClientState.WaitCertificateVerify:
                OnCertificateVerify(message);
                break;
            case HandshakeType.Finished when _clientState == ClientState.WaitFinished:
                OnServerFinished(message);
                break;
            case HandshakeType.NewSessionTicket when _clientState == ClientState.Connected:
                OnNewSessionTicket(message);
                break;
            default:
                // Includes CertificateRequest: we offer no client authentication.
                throw Unexpected(type, _clientState.ToString());
        }
    }

    private void OnServerHello(byte[] message)
    {
        var o = ClientOptions;
        var r = BodyReader(message, "ServerHello");
        ushort legacyVersion = r.ReadUInt16();
        var random = r.ReadBytes(32);
        var sessionId = r.ReadVector8();
        ushort suiteValue = r.ReadUInt16();
        byte compression = r.ReadByte();
        var exts = TlsExtensions.Read(ref r, "ServerHello");
        EnsureEnd(ref r);
        bool isRetry = random.SequenceEqual(HelloRetryRandom);
        string what = isRetry ? "HelloRetryRequest" : "ServerHello";

        // RFC 8446 §4.1.3 / §4.2.1: TLS 1.3 is negotiated only through supported_versions.
        byte[] versions = exts.Get(ExtensionType.SupportedVersions)
            ?? throw TlsAlert.Error(TlsAlert.ProtocolVersion, $"{what}: the server does not speak TLS 1.3");
        if (versions.Length != 2 || (versions[0] << 8 | versions[1]) != TlsVersion.Tls13)
            throw TlsAlert.Error(TlsAlert.IllegalParameter, $"{what}: selected a version other than TLS 1.3");
        if (legacyVersion != TlsVersion.Tls12) throw TlsAlert.Error(TlsAlert.ProtocolVersion, $"{what}: legacy_version must be 0x0303");
        if (!sessionId.IsEmpty) throw TlsAlert.Error(TlsAlert.IllegalParameter, $"{what}: legacy_session_id_echo does not match");
        if (compression != 0) throw TlsAlert.Error(TlsAlert.IllegalParameter, $"{what}: compression method must be 0");
        var suite = (CipherSuite)suiteValue;
        if (!CipherSuiteInfo.IsKnown(suiteValue) || !o.CipherSuites.Contains(suite))
            throw TlsAlert.Error(TlsAlert.IllegalParameter, $"{what}: cipher suite 0x{suiteValue:x4} was not offered");

        if (isRetry)
        {
            OnHelloRetryRequest(message, suite, exts);
            return;
        }
        exts.OnlyAllow("ServerHello", TlsAlert.IllegalParameter, ExtensionType.SupportedVersions, ExtensionType.KeyShare, ExtensionType.PreSharedKey);
        // RFC 8446 §4.1.4: the ServerHello must use the suite of the HelloRetryRequest.
        if (_retrySuite is { } rs && rs != suite) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ServerHello: cipher suite differs from the HelloRetryRequest");

        byte[]? psk = null;
        if (exts.Get(ExtensionType.PreSharedKey) is { } pskExt)
        {
            if (_offeredTicket is null) throw TlsAlert.Error(TlsAlert.UnsupportedExtension, "ServerHello: pre_shared_key was not offered");
            var pr = TlsExtensions.Reader(pskExt, "pre_shared_key");
            ushort selected = pr.ReadUInt16();
            EnsureEnd(ref pr);
            if (selected != 0) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ServerHello: selected_identity out of range");
            // RFC 8446 §4.2.11: the PSK's hash must match the selected suite's.
            if (_offeredTicket.Suite.Hash() != suite.Hash()) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ServerHello: suite hash differs from the PSK's");
            psk = _offeredTicket.ResumptionSecret;
            IsResumed = true;
        }
        // We offer psk_dhe_ke only, so a key share is always needed (RFC 8446 §4.2.9).
        byte[] keyShare = exts.Get(ExtensionType.KeyShare) ?? throw TlsAlert.Error(TlsAlert.MissingExtension, "ServerHello: key_share missing");
        var kr = TlsExtensions.Reader(keyShare, "key_share");
        ushort group = kr.ReadUInt16();
        var peerKey = kr.ReadVector16();
        EnsureEnd(ref kr);
        if (group != (ushort)_keyShare!.Group) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ServerHello: key_share group was not offered");
        byte[] shared = _keyShare.DeriveSharedSecret(peerKey);
        _keyShare.Dispose();

        Suite = suite;
        _transcript.Add(message);
        _keys = new KeySchedule(suite, psk);
        _keys.Advance(shared);
        byte[] th = _transcript.Hash(_keys.Hash);
        _clientHandshakeSecret = _keys.Derive("c hs traffic", th);
        _serverHandshakeSecret = _keys.Derive("s hs traffic", th);
        Emit(TlsEventKind.ReadSecret, EncryptionLevel.Handshake, secret: _serverHandshakeSecret);
        Emit(TlsEventKind.WriteSecret, EncryptionLevel.Handshake, secret: _clientHandshakeSecret);
        _clientState = ClientState.WaitEncryptedExtensions;
    }

    /// <summary>RFC 8446 §4.1.4: one retry with the group (and cookie) the server asks for.</summary>
    private void OnHelloRetryRequest(byte[] message, CipherSuite suite, TlsExtensions exts)
    {
        var o = ClientOptions;
        if (_retried) throw TlsAlert.Error(TlsAlert.UnexpectedMessage, "second HelloRetryRequest");
        exts.OnlyAllow("HelloRetryRequest", TlsAlert.IllegalParameter, ExtensionType.SupportedVersions, ExtensionType.KeyShare, ExtensionType.Cookie);
        bool changed = false;
        if (exts.Get(ExtensionType.KeyShare) is { } ks)
        {
            var kr = TlsExtensions.Reader(ks, "key_share");
            ushort group = kr.ReadUInt16();
            EnsureEnd(ref kr);
            if (!KeyExchange.IsSupported(group) || !o.Groups.Contains((NamedGroup)group) || group == (ushort)_keyShare!.Group)
                throw TlsAlert.Error(TlsAlert.IllegalParameter, "HelloRetryRequest: selected_group not acceptable");
            _keyShare.Dispose();
            _keyShare = KeyExchange.Create((NamedGroup)group);
            changed = true;
        }
        if (exts.Get(ExtensionType.Cookie) is { } cookie)
        {
            var cr = TlsExtensions.Reader(cookie, "cookie");
            var value = cr.ReadVector16();
            EnsureEnd(ref cr);
            if (value.IsEmpty) throw cr.Fail("empty cookie");
            _cookie = value.ToArray();
            changed = true;
        }
        if (!changed) throw TlsAlert.Error(TlsAlert.IllegalParameter, "HelloRetryRequest would not change the ClientHello");
        _retried = true;
        _retrySuite = suite;
        // RFC 8446 §4.4.1: ClientHello1 becomes message_hash in the transcript.
        _transcript.ReplaceWithMessageHash(suite.Hash());
        _transcript.Add(message);
        if (_offeredTicket is not null && _offeredTicket.Suite.Hash() != suite.Hash()) _offeredTicket = null;
        byte[] hello = BuildClientHello();
        _transcript.Add(hello);
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.Initial, hello);
    }

    private void OnEncryptedExtensions(byte[] message)
    {
        var o = ClientOptions;
        var r = BodyReader(message, "EncryptedExtensions");
        var exts = TlsExtensions.Read(ref r, "EncryptedExtensions");
        EnsureEnd(ref r);
        // RFC 8446 §4.2: only extensions we offered and that belong in EE.
        exts.OnlyAllow("EncryptedExtensions", TlsAlert.UnsupportedExtension, ExtensionType.ServerName, ExtensionType.SupportedGroups,
            ExtensionType.Alpn, ExtensionType.EarlyData, ExtensionType.QuicTransportParameters);
        // RFC 9001 §8.1: no ALPN agreement ends the handshake.
        byte[] alpnExt = exts.Get(ExtensionType.Alpn) ?? throw TlsAlert.Error(TlsAlert.NoApplicationProtocol, "EncryptedExtensions: no ALPN selected");
        var alpn = TlsExtensions.ParseAlpn(alpnExt);
        if (alpn.Count != 1) throw TlsAlert.Error(TlsAlert.IllegalParameter, "EncryptedExtensions: ALPN must name one protocol");
        string protocol = Encoding.UTF8.GetString(alpn[0]);
        if (!o.ApplicationProtocols.Contains(protocol)) throw TlsAlert.Error(TlsAlert.IllegalParameter, $"EncryptedExtensions: ALPN {protocol} was not offered");
        // RFC 9001 §8.2: quic_transport_parameters is mandatory.
        byte[] tp = exts.Get(ExtensionType.QuicTransportParameters)
            ?? throw TlsAlert.Error(TlsAlert.MissingExtension, "EncryptedExtensions: quic_transport_parameters missing");
        bool earlyAccepted = false;
        if (exts.Get(ExtensionType.EarlyData) is { } ed)
        {
            if (!_earlyDataOffered || _retried) throw TlsAlert.Error(TlsAlert.UnsupportedExtension, "EncryptedExtensions: early_data was not offered");
            if (ed.Length != 0) throw TlsAlert.Error(TlsAlert.DecodeError, "EncryptedExtensions: early_data must be empty");
            // RFC 8446 §4.2.10: accepted early data keeps the ticket's suite and ALPN.
            if (!IsResumed || Suite != _offeredTicket!.Suite || protocol != _offeredTicket.ApplicationProtocol)
                throw TlsAlert.Error(TlsAlert.IllegalParameter, "EncryptedExtensions: early_data accepted with different parameters");
            earlyAccepted = true;
        }
        ApplicationProtocol = protocol;
        PeerTransportParameters = tp;
        _transcript.Add(message);
        Emit(TlsEventKind.PeerTransportParameters, data: tp);
        if (_earlyDataOffered)
        {
            EarlyDataAccepted = earlyAccepted;
            if (!earlyAccepted) Emit(TlsEventKind.EarlyDataRejected, EncryptionLevel.ZeroRtt);
        }
        _clientState = IsResumed ? ClientState.WaitFinished : ClientState.WaitCertificate;
    }

    private void OnCertificate(byte[] message)
    {
        var o = ClientOptions;
        var r = BodyReader(message, "Certificate");
        var context = r.ReadVector8();
        var list = new WireReader(r.ReadVector24(), TlsAlert.DecodeErrorCode, "Certificate list");
        EnsureEnd(ref r);
        if (!context.IsEmpty) throw TlsAlert.Error(TlsAlert.IllegalParameter, "Certificate: request context must be empty");
        var certs = new List<X509Certificate2>();
        while (!list.IsEmpty)
        {
            var der = list.ReadVector24();
            // RFC 8446 §4.4.2: per-certificate extensions must answer ClientHello extensions; we send none that apply.
            if (!list.ReadVector16().IsEmpty) throw TlsAlert.Error(TlsAlert.UnsupportedExtension, "Certificate: unrequested certificate extension");
            if (der.IsEmpty) throw list.Fail("empty certificate");
            try
            {
                certs.Add(X509CertificateLoader.LoadCertificate(der));
            }
            catch (CryptographicException)
            {
                throw TlsAlert.Error(TlsAlert.BadCertificate, "Certificate: not a valid X.509 certificate");
            }
        }
        // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error.
        if (certs.Count == 0) throw TlsAlert.Error(TlsAlert.DecodeError, "Certificate: empty certificate_list");
        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < certs.Count; i++) intermediates.Add(certs[i]);
        CertificateValidator.Validate(o.Validation, o.ServerName, certs[0], intermediates, o.Time.GetUtcNow());
        PeerCertificate = certs[0];
        _transcript.Add(message);
        _clientState = ClientState.WaitCertificateVerify;
    }

    private void OnCertificateVerify(byte[] message)
    {
        var r = BodyReader(message, "CertificateVerify");
        ushort scheme = r.ReadUInt16();
        byte[] signature = r.ReadVector16().ToArray();
        EnsureEnd(ref r);
        // RFC 8446 §4.4.3: only schemes we offered; never rsa_pkcs1.
        if (Array.IndexOf(SignatureScheme.Supported, scheme) < 0)
            throw TlsAlert.Error(TlsAlert.IllegalParameter, $"CertificateVerify: signature scheme 0x{scheme:x4} was not offered");
        byte[] content = CertificateSignatures.Content(server: true, _transcript.Hash(_keys!.Hash));
        if (!CertificateSignatures.Verify(PeerCertificate!, scheme, content, signature))
            throw TlsAlert.Error(TlsAlert.DecryptError, "CertificateVerify: bad signature");
        _transcript.Add(message);
        _clientState = ClientState.WaitFinished;
    }

    private void OnServerFinished(byte[] message)
    {
        var keys = _keys!;
        VerifyFinished(message, _serverHandshakeSecret!);
        _transcript.Add(message);
        byte[] th = _transcript.Hash(keys.Hash);
        keys.Advance(null);
        byte[] clientApp = keys.Derive("c ap traffic", th);
        byte[] serverApp = keys.Derive("s ap traffic", th);
        Emit(TlsEventKind.ReadSecret, EncryptionLevel.OneRtt, secret: serverApp);
        byte[] finished = FinishedMessage(keys.VerifyData(_clientHandshakeSecret!, th));
        _transcript.Add(finished);
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.Handshake, finished);
        Emit(TlsEventKind.WriteSecret, EncryptionLevel.OneRtt, secret: clientApp);
        _resumptionMasterSecret = keys.Derive("res master", _transcript.Hash(keys.Hash));
        IsHandshakeComplete = true;
        _clientState = ClientState.Connected;
        Emit(TlsEventKind.HandshakeComplete, EncryptionLevel.OneRtt);
    }

    /// <summary>RFC 8446 §4.6.1, RFC 9001 §4.6.1.</summary>
    private void OnNewSessionTicket(byte[] message)
    {
        var o = ClientOptions;
        var r = BodyReader(message, "NewSessionTicket");
        uint lifetime = r.ReadUInt32();
        uint ageAdd = r.ReadUInt32();
        byte[] nonce = r.ReadVector8().ToArray();
        byte[] ticket = r.ReadVector16().ToArray();
        var exts = TlsExtensions.Read(ref r, "NewSessionTicket");
        EnsureEnd(ref r);
        if (ticket.Length == 0) throw TlsAlert.Error(TlsAlert.DecodeError, "NewSessionTicket: empty ticket");
        if (lifetime > 604800) throw TlsAlert.Error(TlsAlert.IllegalParameter, "NewSessionTicket: lifetime over 7 days");
        uint maxEarly = 0;
        if (exts.Get(ExtensionType.EarlyData) is { } ed)
        {
            var er = TlsExtensions.Reader(ed, "early_data");
            maxEarly = er.ReadUInt32();
            EnsureEnd(ref er);
            // RFC 9001 §4.6.1: any other value is a PROTOCOL_VIOLATION.
            if (maxEarly != 0xffffffff)
                throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "NewSessionTicket: max_early_data_size must be 0xffffffff");
        }
        if (lifetime == 0) return; // RFC 8446 §4.6.1: a zero lifetime means do not use
        var keys = _keys!;
        var session = new TlsSessionTicket
        {
            Ticket = ticket,
            ResumptionSecret = KeySchedule.ResumptionPsk(keys.Hash, keys.HashLength, _resumptionMasterSecret!, nonce),
            Suite = Suite!.Value,
            AgeAdd = ageAdd,
            IssuedAt = o.Time.GetUtcNow(),
            Lifetime = TimeSpan.FromSeconds(lifetime),
            MaxEarlyDataSize = maxEarly,
            ServerName = o.ServerName,
            ApplicationProtocol = ApplicationProtocol,
        };
        Emit(TlsEventKind.NewSessionTicket, EncryptionLevel.OneRtt, ticket: session);
    }
}
