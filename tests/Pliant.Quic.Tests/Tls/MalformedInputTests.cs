using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

public class MalformedInputTests
{
    private const TransportErrorCode InternalError = (TransportErrorCode)(0x100 + 80);

    private static void AssertAlert(byte alert, Action action)
    {
        var ex = Assert.Throws<QuicProtocolException>(action);
        Assert.Equal((TransportErrorCode)(0x100 + alert), ex.ErrorCode);
    }

    /// <summary>Offset of an extension's type field in a ClientHello.</summary>
    private static int FindClientHelloExtension(byte[] ch, ushort type)
    {
        int p = 4 + 2 + 32;
        p += 1 + ch[p];
        p += 2 + (ch[p] << 8 | ch[p + 1]);
        p += 1 + ch[p];
        int end = p + 2 + (ch[p] << 8 | ch[p + 1]);
        p += 2;
        while (p < end)
        {
            if ((ch[p] << 8 | ch[p + 1]) == type) return p;
            p += 4 + (ch[p + 2] << 8 | ch[p + 3]);
        }
        throw new InvalidOperationException("extension not found");
    }

    private static TlsPair RenameClientExtension(ushort from, ushort to) => new(TlsPair.ClientOptions(), TlsPair.ServerOptions())
    {
        Tamper = (fromClient, level, data) =>
        {
            if (!fromClient || level != EncryptionLevel.Initial) return data;
            var copy = (byte[])data.Clone();
            int at = FindClientHelloExtension(copy, from);
            copy[at] = (byte)(to >> 8);
            copy[at + 1] = (byte)to;
            return copy;
        },
    };

    [Fact]
    public void ClientHelloWithoutTransportParameters_MissingExtension() =>
        AssertAlert(109, () => RenameClientExtension(0x39, 0x7f39).Run());

    [Fact]
    public void ClientHelloWithoutAlpn_NoApplicationProtocol() =>
        AssertAlert(120, () => RenameClientExtension(16, 0x7f10).Run());

    [Fact]
    public void ClientHelloWithoutSupportedVersions_ProtocolVersion() =>
        AssertAlert(70, () => RenameClientExtension(43, 0x7f2b).Run());

    [Fact]
    public void ClientHelloDuplicateExtension_IllegalParameter() =>
        AssertAlert(47, () => RenameClientExtension(10, 13).Run());

    [Fact]
    public void ClientHelloUnknownExtension_Ignored()
    {
        var p = RenameClientExtension(45, 0x7a7a); // psk_key_exchange_modes → unknown
        p.Client.Start();
        Assert.True(p.Client.TryPollEvent(out var hello));
        p.Server.HandleCryptoData(EncryptionLevel.Initial, p.Tamper!(true, EncryptionLevel.Initial, hello.Data!));
        Assert.True(p.Server.TryPollEvent(out var first));
        Assert.Equal(TlsEventKind.PeerTransportParameters, first.Kind);
    }

    [Fact]
    public void MessageAtWrongLevel_UnexpectedMessage()
    {
        var client = TlsHandshake.CreateClient(TlsPair.ClientOptions(), [1]);
        client.Start();
        // A Finished at the Initial level.
        AssertAlert(10, () => client.HandleCryptoData(EncryptionLevel.Initial, [20, 0, 0, 32, .. new byte[32]]));

        var server = TlsHandshake.CreateServer(TlsPair.ServerOptions(), [1]);
        AssertAlert(10, () => server.HandleCryptoData(EncryptionLevel.Handshake, [1, 0, 0, 0]));
        server = TlsHandshake.CreateServer(TlsPair.ServerOptions(), [1]);
        Assert.Equal(TransportErrorCode.ProtocolViolation,
            Assert.Throws<QuicProtocolException>(() => server.HandleCryptoData(EncryptionLevel.ZeroRtt, [1, 0, 0, 0])).ErrorCode);
        server = TlsHandshake.CreateServer(TlsPair.ServerOptions(), [1]);
        AssertAlert(10, () => server.HandleCryptoData(EncryptionLevel.Initial, [2, 0, 0, 0]));
    }

    [Fact]
    public void KeyUpdateAndEndOfEarlyData_UnexpectedMessage()
    {
        var p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions()).Run();
        // RFC 9001 §6: KeyUpdate is forbidden; §8.3: so is EndOfEarlyData.
        AssertAlert(10, () => p.Client.HandleCryptoData(EncryptionLevel.OneRtt, [24, 0, 0, 1, 0]));
        AssertAlert(10, () => p.Server.HandleCryptoData(EncryptionLevel.OneRtt, [24, 0, 0, 1, 0]));
        var q = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions());
        q.Client.Start();
        while (q.Client.TryPollEvent(out var e)) q.Server.HandleCryptoData(e.Level, e.Data!);
        AssertAlert(10, () => q.Server.HandleCryptoData(EncryptionLevel.Handshake, [5, 0, 0, 0]));
    }

    [Fact]
    public void TamperedClientFinished_DecryptError()
    {
        var p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions())
        {
            Tamper = (fromClient, level, data) =>
            {
                if (!fromClient || level != EncryptionLevel.Handshake) return data;
                var copy = (byte[])data.Clone();
                copy[^1] ^= 0x80;
                return copy;
            },
        };
        AssertAlert(51, () => p.Run());
        Assert.False(p.Server.IsHandshakeComplete);
    }

    [Fact]
    public void NewSessionTicketChecks()
    {
        static byte[] Nst(uint lifetime, uint? maxEarly)
        {
            var body = new List<byte>();
            body.AddRange([(byte)(lifetime >> 24), (byte)(lifetime >> 16), (byte)(lifetime >> 8), (byte)lifetime]);
            body.AddRange([0, 0, 0, 7, 1, 0, 0, 3, 9, 9, 9]);
            if (maxEarly is { } m) body.AddRange([0, 8, 0, 42, 0, 4, (byte)(m >> 24), (byte)(m >> 16), (byte)(m >> 8), (byte)m]);
            else body.AddRange([0, 0]);
            return [4, 0, 0, (byte)body.Count, .. body];
        }

        var p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions()).Run();
        p.Client.HandleCryptoData(EncryptionLevel.OneRtt, Nst(3600, 0xffffffff));
        Assert.True(p.Client.TryPollEvent(out var e));
        Assert.Equal(TlsEventKind.NewSessionTicket, e.Kind);
        Assert.Equal(0xffffffffu, e.Ticket!.MaxEarlyDataSize);
        Assert.Equal(TimeSpan.FromHours(1), e.Ticket.Lifetime);

        AssertAlert(47, () => p.Client.HandleCryptoData(EncryptionLevel.OneRtt, Nst(604801, null)));
        p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions()).Run();
        // RFC 9001 §4.6.1: max_early_data_size other than 0xffffffff is a PROTOCOL_VIOLATION.
        Assert.Equal(TransportErrorCode.ProtocolViolation,
            Assert.Throws<QuicProtocolException>(() => p.Client.HandleCryptoData(EncryptionLevel.OneRtt, Nst(3600, 1000))).ErrorCode);
    }

    [Fact]
    public void TrailingDataAfterServerHello_UnexpectedMessage()
    {
        var p = new TlsPair(TlsPair.ClientOptions(), TlsPair.ServerOptions())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == EncryptionLevel.Initial ? [.. data, 8, 0] : data,
        };
        AssertAlert(10, () => p.Run());
    }

    [Fact]
    public void FuzzServerFlight_OnlyProtocolErrors()
    {
        var rng = new Random(1234);
        int failures = 0;
        for (int i = 0; i < 300; i++)
        {
            var level = i % 3 == 0 ? EncryptionLevel.Initial : EncryptionLevel.Handshake;
            int mode = rng.Next(3);
            var p = new TlsPair(new TlsClientOptions { Validation = CertificateValidation.Insecure, Groups = [Pliant.Quic.Tls.NamedGroup.Secp256r1] }, TlsPair.ServerOptions())
            {
                Tamper = (fromClient, l, data) =>
                {
                    if (fromClient || l != level) return data;
                    var copy = (byte[])data.Clone();
                    int at = rng.Next(copy.Length);
                    switch (mode)
                    {
                        case 0: copy[at] ^= (byte)(1 << rng.Next(8)); break;
                        case 1: copy[at] ^= (byte)(1 + rng.Next(255)); break; // never a no-op
                        default: copy = copy[..at]; break;
                    }
                    return copy;
                },
            };
            try
            {
                p.Run();
                // A truncation may leave the handshake waiting; a changed byte must never complete it.
                if (mode != 2) Assert.False(p.Client.IsHandshakeComplete);
            }
            catch (QuicProtocolException ex)
            {
                failures++;
                Assert.NotEqual(InternalError, ex.ErrorCode);
                Assert.True(ex.ErrorCode is >= (TransportErrorCode)0x100 and <= (TransportErrorCode)0x1ff
                    or TransportErrorCode.CryptoBufferExceeded or TransportErrorCode.ProtocolViolation, ex.Message);
            }
        }
        Assert.True(failures > 150);
    }

    [Fact]
    public void FuzzClientHello_OnlyProtocolErrors()
    {
        var rng = new Random(99);
        var client = TlsHandshake.CreateClient(new TlsClientOptions { Validation = CertificateValidation.Insecure }, [1, 2, 3]);
        client.Start();
        Assert.True(client.TryPollEvent(out var hello));
        for (int i = 0; i < 400; i++)
        {
            var copy = (byte[])hello.Data!.Clone();
            int at = rng.Next(copy.Length);
            if (i % 4 == 3) copy = copy[..at]; else copy[at] ^= (byte)(1 << rng.Next(8));
            var server = TlsHandshake.CreateServer(TlsPair.ServerOptions(), [4]);
            try
            {
                server.HandleCryptoData(EncryptionLevel.Initial, copy);
            }
            catch (QuicProtocolException ex)
            {
                Assert.NotEqual(InternalError, ex.ErrorCode);
            }
        }
    }
}
