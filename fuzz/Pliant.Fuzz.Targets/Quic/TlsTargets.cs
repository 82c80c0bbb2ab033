using Pliant.Quic;
using Pliant.Quic.Tls;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// Shared by the TLS targets: input is a sequence of records (level byte, length-prefixed handshake
/// bytes) handed to <see cref="TlsHandshake.HandleCryptoData"/>. Bad input must be a
/// <see cref="QuicProtocolException"/> (CRYPTO_ERROR 0x100 + alert, RFC 9001 §4.8); one that wraps an
/// indexing or argument error is a parser bug dressed up as internal_error, so it is a crash too.
/// </summary>
public abstract class TlsTarget : FuzzTarget
{
    /// <summary>Records after which the run stops (each may hold several messages).</summary>
    public const int MaxRecords = 16;

    protected abstract TlsHandshake Create();

    protected override void Execute(ReadOnlySpan<byte> input)
    {
        var tls = Create();
        Drain(tls);
        var r = new FuzzInput(input);
        for (int i = 0; i < MaxRecords && !r.IsEmpty; i++)
        {
            var level = (EncryptionLevel)(r.Byte() & 3);
            tls.HandleCryptoData(level, r.Chunk());
            Drain(tls);
        }
    }

    private static void Drain(TlsHandshake tls)
    {
        while (tls.TryPollEvent(out _))
        {
        }
    }

    protected override bool IsExpected(Exception e) =>
        e is QuicProtocolException { InnerException: null or System.Security.Cryptography.CryptographicException };
}

/// <summary>Server handshake fed ClientHello (and later client flights): the ClientHello parser and server state machine.</summary>
public sealed class TlsServerTarget : TlsTarget
{
    public override string Name => "tls-server";

    public override string Description => "server TlsHandshake fed client handshake messages (ClientHello parsing, PSK, key shares, Finished)";

    protected override TlsHandshake Create() => TlsHandshake.CreateServer(FixedKeys.TlsServer(), FixedKeys.TransportParameters(server: true));

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        foreach (var (name, flights) in TlsFlights.ClientFlights())
            yield return (name, flights);
    }
}

/// <summary>Client handshake fed server messages: ServerHello, HelloRetryRequest, EncryptedExtensions, Certificate, CertificateVerify, Finished, NewSessionTicket.</summary>
public sealed class TlsClientTarget : TlsTarget
{
    public override string Name => "tls-client";

    public override string Description => "client TlsHandshake fed server handshake messages (ServerHello/HRR, EncryptedExtensions, Certificate, CertificateVerify, Finished, tickets)";

    protected override TlsHandshake Create()
    {
        var tls = TlsHandshake.CreateClient(FixedKeys.TlsClient(), FixedKeys.TransportParameters(server: false));
        tls.Start();
        return tls;
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        foreach (var (name, flights) in TlsFlights.ServerFlights())
            yield return (name, flights);
    }
}

/// <summary>Real handshakes between a Pliant client and server, recorded per direction as target input.</summary>
internal static class TlsFlights
{
    private static List<(bool FromClient, EncryptionLevel Level, byte[] Data)> Record(TlsServerOptions server, TlsClientOptions client)
    {
        var c = TlsHandshake.CreateClient(client, FixedKeys.TransportParameters(server: false));
        var s = TlsHandshake.CreateServer(server, FixedKeys.TransportParameters(server: true));
        var log = new List<(bool, EncryptionLevel, byte[])>();
        c.Start();
        bool progress = true;
        while (progress)
        {
            progress = false;
            while (c.TryPollEvent(out var e))
            {
                progress = true;
                if (e.Kind != TlsEventKind.HandshakeData) continue;
                log.Add((true, e.Level, e.Data!));
                s.HandleCryptoData(e.Level, e.Data);
            }
            while (s.TryPollEvent(out var e))
            {
                progress = true;
                if (e.Kind != TlsEventKind.HandshakeData) continue;
                log.Add((false, e.Level, e.Data!));
                c.HandleCryptoData(e.Level, e.Data);
            }
        }
        return log;
    }

    private static byte[] Encode(IEnumerable<(bool FromClient, EncryptionLevel Level, byte[] Data)> records, bool fromClient) =>
        FuzzInput.Build(records.Where(r => r.FromClient == fromClient).Select(r => ((byte)r.Level, r.Data)).ToArray());

    private static IEnumerable<(string, TlsServerOptions, TlsClientOptions)> Scenarios()
    {
        yield return ("full", FixedKeys.TlsServer(), FixedKeys.TlsClient());
        yield return ("p256", FixedKeys.TlsServer(), new TlsClientOptions
        {
            ServerName = "localhost", Validation = CertificateValidation.Insecure, Groups = [NamedGroup.Secp256r1],
        });
        // The client offers X25519 first but the server only takes P-256: HelloRetryRequest.
        yield return ("hrr", new TlsServerOptions { Certificate = FixedKeys.Certificate, Groups = [NamedGroup.Secp256r1] },
            new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure });
        yield return ("aes256", new TlsServerOptions { Certificate = FixedKeys.Certificate, CipherSuites = [Pliant.Quic.Crypto.CipherSuite.Aes256GcmSha384] },
            new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure });
        yield return ("chacha", new TlsServerOptions { Certificate = FixedKeys.Certificate, CipherSuites = [Pliant.Quic.Crypto.CipherSuite.ChaCha20Poly1305Sha256] },
            new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure });
    }

    public static IEnumerable<(string, byte[])> ClientFlights()
    {
        foreach (var (name, server, client) in Scenarios()) yield return (name, Encode(Record(server, client), fromClient: true));
        foreach (var (name, server, client) in Resumed()) yield return (name, Encode(Record(server, client), fromClient: true));
    }

    public static IEnumerable<(string, byte[])> ServerFlights()
    {
        foreach (var (name, server, client) in Scenarios()) yield return (name, Encode(Record(server, client), fromClient: false));
    }

    /// <summary>A resumption with 0-RTT against the fixed ticket key: ClientHello with pre_shared_key and early_data.</summary>
    private static IEnumerable<(string, TlsServerOptions, TlsClientOptions)> Resumed()
    {
        var server = FixedKeys.TlsServer();
        var client = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure, EnableEarlyData = true };
        var c = TlsHandshake.CreateClient(client, FixedKeys.TransportParameters(server: false));
        var s = TlsHandshake.CreateServer(server, FixedKeys.TransportParameters(server: true));
        c.Start();
        TlsSessionTicket? ticket = null;
        bool progress = true;
        while (progress)
        {
            progress = false;
            while (c.TryPollEvent(out var e))
            {
                progress = true;
                if (e.Kind == TlsEventKind.HandshakeData) s.HandleCryptoData(e.Level, e.Data);
                if (e.Ticket is { } t) ticket = t;
            }
            while (s.TryPollEvent(out var e))
            {
                progress = true;
                if (e.Kind == TlsEventKind.HandshakeData) c.HandleCryptoData(e.Level, e.Data);
            }
        }
        if (ticket is null) yield break;
        yield return ("resumed-0rtt", server, new TlsClientOptions
        {
            ServerName = "localhost", Validation = CertificateValidation.Insecure, EnableEarlyData = true, ResumptionTicket = ticket,
        });
    }
}
