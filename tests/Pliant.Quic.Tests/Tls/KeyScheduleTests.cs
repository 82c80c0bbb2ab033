using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls;

/// <summary>Checks against the "Simple 1-RTT Handshake" of the example traces (../shared/specs/tls/tls13-example-traces-*).</summary>
public class KeyScheduleTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(string.Concat(s.Where(Uri.IsHexDigit)));

    private const string ClientPrivate = "70 a1 a8 f4 91 e8 2d 53 05 42 c6 d7 a8 dc d8 cf a9 e3 1f 59 bb 33 6b 55 0b 13 bf e1 99 f5 42 c5";
    private const string ClientPublic = "4c fd fc d1 78 b7 84 bf 32 8c ae 79 3b 13 6f 2a ed ce 00 5f f1 83 d7 bb 14 95 20 72 36 64 70 37";
    private const string ServerPrivate = "5a a9 3e a1 8f 4c 5e 4a 39 85 6f 57 3a f4 ec 15 03 ba d0 d5 cd ab af fc 26 c1 ab 4c 36 1f 86 c8";
    private const string ServerPublic = "c7 bb 6b df c2 63 50 b9 29 a0 8a 41 a7 6d da c2 10 b0 96 86 8d 96 0c 48 45 98 7d c3 a7 fa 65 0a";
    private const string SharedSecret = "1b ea 3f df d2 5f 94 03 38 04 b6 89 97 a5 5d 19 31 dc 51 12 4a d7 f6 e2 89 59 bb 46 72 e3 bd 13";

    private const string ClientHello = """
        01 00 00 c0 03 03 66 60 26 1f f9 47 ce
        a4 9c ce 6c fa d6 87 f4 57 cf 1b 14 53 1b a1 41 31 a0 e8 f3 09
        a1 d0 b9 c4 00 00 06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b
        00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00
        12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 23
        00 00 00 33 00 26 00 24 00 1d 00 20 4c fd fc d1 78 b7 84 bf 32
        8c ae 79 3b 13 6f 2a ed ce 00 5f f1 83 d7 bb 14 95 20 72 36 64
        70 37 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
        02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06
        02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01
        """;

    private const string ServerHello = """
        02 00 00 56 03 03 12 74 99 14 95 cf 42
        58 57 26 2d de 22 99 34 2c 31 5a fb a9 b6 4a 87 d5 52 51 56 14
        e0 1b 04 5d 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c7 bb 6b
        df c2 63 50 b9 29 a0 8a 41 a7 6d da c2 10 b0 96 86 8d 96 0c 48
        45 98 7d c3 a7 fa 65 0a 00 2b 00 02 03 04
        """;

    [Fact]
    public void X25519_MatchesTrace()
    {
        var pub = new byte[32];
        X25519.PublicKey(Hex(ClientPrivate), pub);
        Assert.Equal(Hex(ClientPublic), pub);
        X25519.PublicKey(Hex(ServerPrivate), pub);
        Assert.Equal(Hex(ServerPublic), pub);
        var shared = new byte[32];
        Assert.True(X25519.TrySharedSecret(Hex(ServerPrivate), Hex(ClientPublic), shared));
        Assert.Equal(Hex(SharedSecret), shared);
        Assert.True(X25519.TrySharedSecret(Hex(ClientPrivate), Hex(ServerPublic), shared));
        Assert.Equal(Hex(SharedSecret), shared);
    }

    [Fact]
    public void X25519_Rfc7748Vector()
    {
        // RFC 7748 §5.2, first test vector.
        var output = new byte[32];
        X25519.TrySharedSecret(
            Hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            Hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"), output);
        Assert.Equal(Hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"), output);
    }

    [Fact]
    public void HandshakeSecrets_MatchTrace()
    {
        var ks = new KeySchedule(CipherSuite.Aes128GcmSha256, null);
        var t = new Transcript();
        t.Add(Hex(ClientHello));
        t.Add(Hex(ServerHello));
        byte[] th = t.Hash(HashAlgorithmName.SHA256);
        Assert.Equal(Hex("3d 35 f3 eb a0 aa bf 5d 96 61 23 6e 3b 5b b9 38 fd c3 2f 40 9c c2 7c 55 49 9e 1f 0b aa 3a bd 8f"), th);
        ks.Advance(Hex(SharedSecret));
        Assert.Equal(Hex("d7 c2 8b 57 a8 57 e9 61 b5 bf 3e 1d 7b 18 d0 27 57 c4 f9 7a cb 66 a2 33 72 e5 a7 f3 d0 a7 1e 07"), ks.Derive("c hs traffic", th));
        Assert.Equal(Hex("30 31 e9 c2 c2 6e cc 15 4b c3 68 26 e8 7f ee ff 8f 45 47 df 52 59 67 47 b2 dc ab f9 2b 18 fb 59"), ks.Derive("s hs traffic", th));
    }
}
