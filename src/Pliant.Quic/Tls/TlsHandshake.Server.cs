using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tls;

/// <summary>The server state machine (RFC 8446 §A.2).</summary>
public sealed partial class TlsHandshake
{
    private enum ServerState { WaitClientHello, WaitFinished, Connected }

    private TlsServerOptions? _serverOptions;
    private ZeroRttAntiReplay? _antiReplay;
    private ServerState _serverState;
    private NamedGroup? _retryGroup;
    private byte[]? _clientApplicationSecret;

    private TlsServerOptions ServerOptions => _serverOptions!;

    private void ServerMessage(byte type, byte[] message)
    {
        switch (type)
        {
            case HandshakeType.ClientHello when _serverState == ServerState.WaitClientHello:
                OnClientHello(message);
                break;
            case HandshakeType.Finished when _serverState == ServerState.WaitFinished:
                OnClientFinished(message);
                break;
            default:
                throw Unexpected(type, _serverState.ToString());
        }
    }

    private void OnClientHello(byte[] message)
    {
        var o = ServerOptions;
        var r = BodyReader(message, "ClientHello");
        r.ReadUInt16(); // legacy_version: ignored in favour of supported_versions (RFC 8446 §4.2.1)
        r.ReadBytes(32);
        var sessionId = r.ReadVector8();
        var suitesBytes = r.ReadVector16();
        var compression = r.ReadVector8();
        var exts = r.IsEmpty ? new TlsExtensions() : TlsExtensions.Read(ref r, "ClientHello");
        EnsureEnd(ref r);
        if (sessionId.Length > 32) throw TlsAlert.Error(TlsAlert.DecodeError, "ClientHello: legacy_session_id too long");
        if (suitesBytes.Length == 0 || suitesBytes.Length % 2 != 0) throw TlsAlert.Error(TlsAlert.DecodeError, "ClientHello: malformed cipher_suites");

        // RFC 8446 §4.2.1: without supported_versions listing 0x0304 this is not TLS 1.3.
        byte[] sv = exts.Get(ExtensionType.SupportedVersions) ?? throw TlsAlert.Error(TlsAlert.ProtocolVersion, "ClientHello: TLS 1.3 not offered");
        if (!TlsExtensions.ParseU16List(sv, "supported_versions", shortPrefix: true).Contains(TlsVersion.Tls13))
            throw TlsAlert.Error(TlsAlert.ProtocolVersion, "ClientHello: TLS 1.3 not offered");
        // RFC 9001 §8.4: no middlebox compatibility mode in QUIC.
        if (!sessionId.IsEmpty) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: legacy_session_id must be empty in QUIC");
        if (compression.Length != 1 || compression[0] != 0) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: legacy_compression_methods must be [0]");
        // RFC 8446 §4.2.11: pre_shared_key must be last.
        if (exts.Has(ExtensionType.PreSharedKey) && exts.LastType != ExtensionType.PreSharedKey)
            throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: pre_shared_key is not the last extension");
        if (_retried && exts.Has(ExtensionType.EarlyData))
            throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: early_data after HelloRetryRequest");
        // RFC 9001 §8.2.
        byte[] tp = exts.Get(ExtensionType.QuicTransportParameters)
            ?? throw TlsAlert.Error(TlsAlert.MissingExtension, "ClientHello: quic_transport_parameters missing");

        // Cipher suite: the server's preference among the client's offer (a bounded list, looked up in O(1)).
        TlsLimits.Check(suitesBytes.Length / 2, TlsLimits.MaxListEntries, "ClientHello cipher_suites");
        var offered = new U16Set(stackalloc ulong[U16Set.Words]);
        for (int i = 0; i < suitesBytes.Length; i += 2) offered.Add(BinaryPrimitives.ReadUInt16BigEndian(suitesBytes[i..]));
        CipherSuite? chosen = null;
        foreach (var s in o.CipherSuites)
            if (offered.Contains((ushort)s)) { chosen = s; break; }
        var suite = chosen ?? throw TlsAlert.Error(TlsAlert.HandshakeFailure, "ClientHello: no cipher suite in common");
        if (_retrySuite is { } rs && rs != suite) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: cipher suites changed after HelloRetryRequest");

        // RFC 9001 §8.1: ALPN is mandatory.
        byte[] alpnExt = exts.Get(ExtensionType.Alpn) ?? throw TlsAlert.Error(TlsAlert.NoApplicationProtocol, "ClientHello: no ALPN offered");
        var clientAlpn = TlsExtensions.ParseAlpn(alpnExt);
        string? protocol = null;
        foreach (var p in o.ApplicationProtocols)
        {
            byte[] pb = Encoding.UTF8.GetBytes(p);
            if (clientAlpn.Exists(c => c.AsSpan().SequenceEqual(pb))) { protocol = p; break; }
        }
        if (protocol is null) throw TlsAlert.Error(TlsAlert.NoApplicationProtocol, "ClientHello: no application protocol in common");

        string? serverName = exts.Get(ExtensionType.ServerName) is { } sn ? TlsExtensions.ParseServerName(sn) : null;

        // Key shares (RFC 8446 §4.2.8).
        byte[] groupsExt = exts.Get(ExtensionType.SupportedGroups) ?? throw TlsAlert.Error(TlsAlert.MissingExtension, "ClientHello: supported_groups missing");
        var clientGroups = TlsExtensions.ParseU16List(groupsExt, "supported_groups");
        var clientGroupSet = new U16Set(stackalloc ulong[U16Set.Words]);
        foreach (ushort g in clientGroups) clientGroupSet.Add(g);
        byte[] keyShareExt = exts.Get(ExtensionType.KeyShare) ?? throw TlsAlert.Error(TlsAlert.MissingExtension, "ClientHello: key_share missing");
        var shares = new List<(ushort Group, byte[] Key)>();
        var kr = TlsExtensions.Reader(keyShareExt, "key_share");
        var sharesReader = new WireReader(kr.ReadVector16(), TlsAlert.DecodeErrorCode, "key_share");
        EnsureEnd(ref kr);
        // Linear in the shares: duplicates and membership through bit sets, at most MaxKeyShares entries.
        var shareGroups = new U16Set(stackalloc ulong[U16Set.Words]);
        while (!sharesReader.IsEmpty)
        {
            ushort g = sharesReader.ReadUInt16();
            var key = sharesReader.ReadVector16();
            if (key.IsEmpty) throw sharesReader.Fail("empty key_exchange");
            if (!shareGroups.Add(g)) throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: duplicate group");
            if (!clientGroupSet.Contains(g)) throw TlsAlert.Error(TlsAlert.IllegalParameter, "key_share: group not in supported_groups");
            TlsLimits.Check(shares.Count + 1, TlsLimits.MaxKeyShares, "key_share");
            shares.Add((g, key.ToArray()));
        }
        NamedGroup? group = null;
        byte[]? peerKey = null;
        foreach (var g in o.Groups)
        {
            int i = shares.FindIndex(s => s.Group == (ushort)g);
            if (i >= 0) { group = g; peerKey = shares[i].Key; break; }
        }
        if (_retryGroup is { } rg && group != rg)
            throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: no key share for the group of the HelloRetryRequest");

        // Resumption (RFC 8446 §4.2.11): psk_dhe_ke only.
        bool pskDhe = exts.Get(ExtensionType.PskKeyExchangeModes) is { } modes && ParseModes(modes).Contains((byte)1);
        AcceptedPsk? accepted = null;
        if (exts.Get(ExtensionType.PreSharedKey) is { } pskExt)
        {
            if (!exts.Has(ExtensionType.PskKeyExchangeModes))
                throw TlsAlert.Error(TlsAlert.MissingExtension, "ClientHello: pre_shared_key without psk_key_exchange_modes");
            if (group is not null || _retryGroup is null) // only resume once we also have a key share to use
                accepted = TryAcceptPsk(message, pskExt, suite, protocol, serverName, pskDhe && o.TicketKey is not null);
        }
        var ticket = accepted?.Ticket;
        byte[]? psk = ticket?.Psk;

        // Signature scheme for a full handshake (RFC 8446 §4.2.3).
        ushort scheme = 0;
        if (psk is null)
        {
            byte[] sigExt = exts.Get(ExtensionType.SignatureAlgorithms) ?? throw TlsAlert.Error(TlsAlert.MissingExtension, "ClientHello: signature_algorithms missing");
            scheme = CertificateSignatures.Choose(o.Certificate, TlsExtensions.ParseU16List(sigExt, "signature_algorithms"))
                ?? throw TlsAlert.Error(TlsAlert.HandshakeFailure, "ClientHello: no signature scheme usable with the server certificate");
        }

        if (group is null)
        {
            // RFC 8446 §4.1.4: ask for a share of a group we both support.
            foreach (var g in o.Groups)
                if (clientGroupSet.Contains((ushort)g)) { group = g; break; }
            if (group is null) throw TlsAlert.Error(TlsAlert.HandshakeFailure, "ClientHello: no key exchange group in common");
            SendHelloRetryRequest(message, suite, group.Value);
            return;
        }

        // RFC 8446 §4.2.10: 0-RTT needs the first PSK, the same suite and ALPN, and no HelloRetryRequest;
        // §8: and a fresh ClientHello never accepted before (checked last, as it records this one).
        bool earlyOffered = exts.Has(ExtensionType.EarlyData);
        bool acceptEarly = earlyOffered && o.EnableEarlyData && ticket is { EarlyData: true } && ticket.Suite == suite
            && ticket.Alpn == protocol && !_retried && _antiReplay is not null;
        if (acceptEarly)
        {
            EarlyDataDecision = _antiReplay!.TryAccept(accepted!.Binder, ticket!.IssuedUnixMs, accepted.ClientAgeMs,
                o.Time.GetUtcNow().ToUnixTimeMilliseconds());
            acceptEarly = EarlyDataDecision == ZeroRttDecision.Accepted;
        }

        Suite = suite;
        ApplicationProtocol = protocol;
        ServerName = serverName;
        PeerTransportParameters = tp;
        if (ClientTransportParametersReceived?.Invoke(tp) is { } replaced) _localTransportParameters = replaced;
        IsResumed = psk is not null;
        EarlyDataAccepted = earlyOffered ? acceptEarly : null;
        _transcript.Add(message);
        _keys = new KeySchedule(suite, psk);
        Emit(TlsEventKind.PeerTransportParameters, data: tp);
        if (acceptEarly)
            Emit(TlsEventKind.ReadSecret, EncryptionLevel.ZeroRtt, secret: _keys.ClientEarlyTrafficSecret(_transcript.Hash(_keys.Hash)));

        byte[] shared;
        byte[] ourKey;
        using (var ke = KeyExchange.Create(group.Value))
        {
            shared = ke.DeriveSharedSecret(peerKey);
            ourKey = ke.PublicKey;
        }
        byte[] serverRandom = new byte[32];
        RandomSource.Secure.Fill(serverRandom);
        byte[] serverHello = BuildServerHello(suite, serverRandom, w =>
        {
            int e = w.BeginExtension(ExtensionType.KeyShare);
            w.U16((ushort)group.Value);
            w.Vector16(ourKey);
            w.EndLength(e);
            if (psk is not null)
            {
                e = w.BeginExtension(ExtensionType.PreSharedKey);
                w.U16(0);
                w.EndLength(e);
            }
        });
        _transcript.Add(serverHello);
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.Initial, serverHello);

        _keys.Advance(shared);
        byte[] th = _transcript.Hash(_keys.Hash);
        _clientHandshakeSecret = _keys.Derive("c hs traffic", th);
        _serverHandshakeSecret = _keys.Derive("s hs traffic", th);
        Emit(TlsEventKind.WriteSecret, EncryptionLevel.Handshake, secret: _serverHandshakeSecret);
        Emit(TlsEventKind.ReadSecret, EncryptionLevel.Handshake, secret: _clientHandshakeSecret);

        var flight = new TlsWriter();
        AppendToFlight(flight, BuildEncryptedExtensions(protocol, acceptEarly));
        if (psk is null)
        {
            AppendToFlight(flight, BuildCertificate());
            byte[] content = CertificateSignatures.Content(server: true, _transcript.Hash(_keys.Hash));
            var w = new TlsWriter();
            int m = w.BeginMessage(HandshakeType.CertificateVerify);
            w.U16(scheme);
            w.Vector16(CertificateSignatures.Sign(o.Certificate, scheme, content));
            w.EndLength(m);
            AppendToFlight(flight, w.ToArray());
        }
        AppendToFlight(flight, FinishedMessage(_keys.VerifyData(_serverHandshakeSecret, _transcript.Hash(_keys.Hash))));
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.Handshake, flight.ToArray());

        th = _transcript.Hash(_keys.Hash);
        _keys.Advance(null);
        _clientApplicationSecret = _keys.Derive("c ap traffic", th);
        Emit(TlsEventKind.WriteSecret, EncryptionLevel.OneRtt, secret: _keys.Derive("s ap traffic", th));
        _serverState = ServerState.WaitFinished;
    }

    private void AppendToFlight(TlsWriter flight, byte[] message)
    {
        _transcript.Add(message);
        flight.Bytes(message);
    }

    private static List<byte> ParseModes(byte[] data)
    {
        var r = TlsExtensions.Reader(data, "psk_key_exchange_modes");
        var list = r.ReadVector8();
        EnsureEnd(ref r);
        if (list.IsEmpty) throw r.Fail("empty list");
        return [.. list.ToArray()];
    }

    /// <summary>A ticket whose binder verified, with what the anti-replay check needs.</summary>
    private sealed record AcceptedPsk(TicketContents Ticket, byte[] Binder, long ClientAgeMs);

    /// <summary>
    /// Looks for a usable ticket among the identities; checks its binder over the truncated
    /// ClientHello (RFC 8446 §4.2.11.2). A ticket we cannot use means a full handshake (null); a bad
    /// binder on a ticket we chose is decrypt_error.
    /// </summary>
    private AcceptedPsk? TryAcceptPsk(byte[] message, byte[] pskExt, CipherSuite suite, string protocol, string? serverName, bool usable)
    {
        var o = ServerOptions;
        var r = TlsExtensions.Reader(pskExt, "pre_shared_key");
        var identities = new WireReader(r.ReadVector16(), TlsAlert.DecodeErrorCode, "pre_shared_key identities");
        int bindersPart = r.Remaining;
        var binders = new WireReader(r.ReadVector16(), TlsAlert.DecodeErrorCode, "pre_shared_key binders");
        EnsureEnd(ref r);
        var ids = new List<byte[]>();
        uint firstObfuscatedAge = 0;
        while (!identities.IsEmpty)
        {
            var id = identities.ReadVector16();
            uint age = identities.ReadUInt32();
            if (id.IsEmpty) throw identities.Fail("empty identity");
            TlsLimits.Check(ids.Count + 1, TlsLimits.MaxPskIdentities, "pre_shared_key identities");
            if (ids.Count == 0) firstObfuscatedAge = age;
            ids.Add(id.ToArray());
        }
        var binderList = new List<byte[]>();
        while (!binders.IsEmpty)
        {
            var b = binders.ReadVector8();
            if (b.Length < 32) throw binders.Fail("binder too short");
            TlsLimits.Check(binderList.Count + 1, TlsLimits.MaxPskIdentities, "pre_shared_key binders");
            binderList.Add(b.ToArray());
        }
        if (ids.Count == 0) throw r.Fail("no identities");
        if (ids.Count != binderList.Count) throw TlsAlert.Error(TlsAlert.IllegalParameter, "pre_shared_key: identities and binders differ in number");
        if (!usable) return null;

        long nowMs = o.Time.GetUtcNow().ToUnixTimeMilliseconds();
        // Only the first identity can carry 0-RTT; we issue one ticket per connection, so try the first only.
        var t = SessionTicketSealer.TryOpen(o.TicketKey!, ids[0]);
        if (t is null || t.Suite.Hash() != suite.Hash() || t.Alpn != protocol
            || !string.Equals(t.ServerName, serverName, StringComparison.OrdinalIgnoreCase)
            || nowMs - t.IssuedUnixMs > (long)o.TicketLifetime.TotalMilliseconds || nowMs < t.IssuedUnixMs - 60_000)
            return null;
        var keys = new KeySchedule(suite, t.Psk);
        byte[] th = _transcript.HashWith(keys.Hash, message.AsSpan(0, message.Length - bindersPart));
        byte[] expected = keys.VerifyData(keys.BinderKey(), th);
        if (!CryptographicOperations.FixedTimeEquals(expected, binderList[0]))
            throw TlsAlert.Error(TlsAlert.DecryptError, "pre_shared_key: binder does not verify");
        // RFC 8446 §4.2.11.1: the client's view of the ticket age; ZeroRttAntiReplay judges its freshness (§8.3).
        long clientAgeMs = unchecked(firstObfuscatedAge - t.AgeAdd);
        return new AcceptedPsk(t, binderList[0], clientAgeMs);
    }

    private static byte[] BuildServerHello(CipherSuite suite, ReadOnlySpan<byte> random, Action<TlsWriter> extensions)
    {
        var w = new TlsWriter();
        int m = w.BeginMessage(HandshakeType.ServerHello);
        w.U16(TlsVersion.Tls12);
        w.Bytes(random);
        w.U8(0); // legacy_session_id_echo: the client's, which is empty in QUIC
        w.U16((ushort)suite);
        w.U8(0);
        int exts = w.BeginLength(2);
        int e = w.BeginExtension(ExtensionType.SupportedVersions);
        w.U16(TlsVersion.Tls13);
        w.EndLength(e);
        extensions(w);
        w.EndLength(exts);
        w.EndLength(m);
        return w.ToArray();
    }

    private void SendHelloRetryRequest(byte[] clientHello, CipherSuite suite, NamedGroup group)
    {
        if (_retried) throw TlsAlert.Error(TlsAlert.IllegalParameter, "ClientHello: still no acceptable key share after HelloRetryRequest");
        _retried = true;
        _retrySuite = suite;
        _retryGroup = group;
        _transcript.Add(clientHello);
        // RFC 8446 §4.4.1: replace ClientHello1 with message_hash.
        _transcript.ReplaceWithMessageHash(suite.Hash());
        byte[] hrr = BuildServerHello(suite, HelloRetryRandom, w =>
        {
            int e = w.BeginExtension(ExtensionType.KeyShare);
            w.U16((ushort)group);
            w.EndLength(e);
        });
        _transcript.Add(hrr);
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.Initial, hrr);
    }

    private byte[] BuildEncryptedExtensions(string protocol, bool acceptEarly)
    {
        var w = new TlsWriter();
        int m = w.BeginMessage(HandshakeType.EncryptedExtensions);
        int exts = w.BeginLength(2);
        TlsExtensions.WriteAlpn(w, [protocol]);
        int e = w.BeginExtension(ExtensionType.QuicTransportParameters);
        w.Bytes(_localTransportParameters);
        w.EndLength(e);
        if (acceptEarly)
        {
            e = w.BeginExtension(ExtensionType.EarlyData);
            w.EndLength(e);
        }
        w.EndLength(exts);
        w.EndLength(m);
        return w.ToArray();
    }

    private byte[] BuildCertificate()
    {
        var o = ServerOptions;
        var w = new TlsWriter();
        int m = w.BeginMessage(HandshakeType.Certificate);
        w.U8(0); // certificate_request_context
        int list = w.BeginLength(3);
        w.Vector24(o.Certificate.RawData);
        w.U16(0);
        if (o.Chain is not null)
            foreach (var c in o.Chain)
            {
                w.Vector24(c.RawData);
                w.U16(0);
            }
        w.EndLength(list);
        w.EndLength(m);
        return w.ToArray();
    }

    private void OnClientFinished(byte[] message)
    {
        var o = ServerOptions;
        var keys = _keys!;
        VerifyFinished(message, _clientHandshakeSecret!);
        _transcript.Add(message);
        Emit(TlsEventKind.ReadSecret, EncryptionLevel.OneRtt, secret: _clientApplicationSecret);
        IsHandshakeComplete = true;
        _serverState = ServerState.Connected;
        Emit(TlsEventKind.HandshakeComplete, EncryptionLevel.OneRtt);
        if (o.TicketKey is null) return;

        // RFC 8446 §4.6.1: one stateless ticket sealing the resumption PSK.
        byte[] resumptionMaster = keys.Derive("res master", _transcript.Hash(keys.Hash));
        byte[] nonce = [0];
        byte[] psk = KeySchedule.ResumptionPsk(keys.Hash, keys.HashLength, resumptionMaster, nonce);
        uint ageAdd = (uint)RandomSource.Secure.NextUInt64();
        uint lifetime = (uint)Math.Clamp(o.TicketLifetime.TotalSeconds, 1, 604800);
        byte[] ticket = SessionTicketSealer.Seal(o.TicketKey, new TicketContents(Suite!.Value, psk, ApplicationProtocol, ServerName,
            o.Time.GetUtcNow().ToUnixTimeMilliseconds(), ageAdd, o.EnableEarlyData));
        var w = new TlsWriter();
        int m = w.BeginMessage(HandshakeType.NewSessionTicket);
        w.U32(lifetime);
        w.U32(ageAdd);
        w.Vector8(nonce);
        w.Vector16(ticket);
        int exts = w.BeginLength(2);
        if (o.EnableEarlyData)
        {
            // RFC 9001 §4.6.1: max_early_data_size is 0xffffffff in QUIC.
            int e = w.BeginExtension(ExtensionType.EarlyData);
            w.U32(0xffffffff);
            w.EndLength(e);
        }
        w.EndLength(exts);
        w.EndLength(m);
        Emit(TlsEventKind.HandshakeData, EncryptionLevel.OneRtt, w.ToArray());
    }
}
