using Pliant.Quic.Crypto;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

/// <summary>RFC 9001 Appendix A and RFC 9369 §A sample packet protection vectors.</summary>
public class AppendixATests
{
    private static readonly byte[] Dcid = Hex("8394c8f03e515708");

    public static TheoryData<uint, string, string, string, string, string> InitialKeyVectors => new()
    {
        // version, side, secret, key, iv, hp — RFC 9001 §A.1
        { QuicVersion.V1, "client", "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
          "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2" },
        { QuicVersion.V1, "server", "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
          "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314" },
        // RFC 9369 §A.1
        { QuicVersion.V2, "client", "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
          "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9" },
        { QuicVersion.V2, "server", "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
          "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a" },
    };

    [Theory]
    [MemberData(nameof(InitialKeyVectors))]
    public void InitialKeys(uint version, string side, string secret, string key, string iv, string hp)
    {
        InitialSecrets.Derive(version, Dcid, out var client, out var server);
        var s = side == "client" ? client : server;
        Assert.Equal(secret, ToHex(s));

        using var keys = PacketKeys.Create(CipherSuite.Aes128GcmSha256, s, version);
        Assert.Equal(key, ToHex(keys.Key));
        Assert.Equal(iv, ToHex(keys.Iv));
        Assert.Equal(hp, ToHex(keys.HeaderProtectionKey));
        Assert.Equal(secret, ToHex(keys.Secret));

        InitialSecrets.CreateKeys(version, Dcid, isServer: side == "server", out var send, out var receive);
        using (send)
        using (receive)
        {
            Assert.Equal(key, ToHex(send.Key));
            Assert.NotEqual(key, ToHex(receive.Key));
        }
    }

    [Theory]
    [InlineData(QuicVersion.V1, "c300000001088394c8f03e5157080000449e00000002", "c000000001088394c8f03e5157080000449e7b9aec34")]
    [InlineData(QuicVersion.V2, "d36b3343cf088394c8f03e5157080000449e00000002", "d76b3343cf088394c8f03e5157080000449ea0c95e82")]
    public void ClientInitial(uint version, string header, string protectedHeader)
    {
        string spec = version == QuicVersion.V1 ? Rfc9001 : Rfc9369;
        var crypto = HexBlockAfter(spec, "contains the following CRYPTO frame");
        var expected = HexBlockAfter(spec, "The resulting protected packet is:");

        var hdr = Hex(header);
        // 1162 bytes of frames: the CRYPTO frame padded with PADDING (zero) frames, then 16 bytes for the tag.
        var packet = new byte[hdr.Length + 1162 + PacketKeys.TagLength];
        hdr.CopyTo(packet, 0);
        crypto.CopyTo(packet, hdr.Length);
        Assert.Equal(1200, packet.Length);
        Assert.Equal(expected.Length, packet.Length);

        InitialSecrets.CreateKeys(version, Dcid, isServer: false, out var send, out var clientReceive);
        Protect(packet, pnOffset: 18, pnLength: 4, pn: 2, send);
        Assert.Equal(protectedHeader, ToHex(packet.AsSpan(0, hdr.Length)));
        Assert.Equal(ToHex(expected), ToHex(packet));

        // The server opens it.
        InitialSecrets.CreateKeys(version, Dcid, isServer: true, out var serverSend, out var receive);
        Assert.True(PacketProtector.TryRemoveHeaderProtection(packet, 18, receive, out int pnLength, out ulong truncated));
        Assert.Equal(4, pnLength);
        Assert.Equal(2UL, truncated);
        Assert.Equal(header, ToHex(packet.AsSpan(0, hdr.Length)));
        Assert.True(PacketProtector.TryDecrypt(packet, 18, pnLength, 2, receive, out int payloadLength));
        Assert.Equal(1162, payloadLength);
        Assert.Equal(ToHex(crypto), ToHex(packet.AsSpan(22, crypto.Length)));
        Assert.All(packet.AsSpan(22 + crypto.Length, 1162 - crypto.Length).ToArray(), b => Assert.Equal(0, b));
        send.Dispose(); clientReceive.Dispose(); serverSend.Dispose(); receive.Dispose();
    }

    [Theory]
    [InlineData(QuicVersion.V1, "c1000000010008f067a5502a4262b50040750001", "2cd0991cd25b0aac406a5816b6394100", "2ec0d8356a", "cf000000010008f067a5502a4262b5004075c0d9")]
    [InlineData(QuicVersion.V2, "d16b3343cf0008f067a5502a4262b50040750001", "6f05d8a4398c47089698baeea26b91eb", "4dd92e91ea", "dc6b3343cf0008f067a5502a4262b5004075d92f")]
    public void ServerInitial(uint version, string header, string sample, string mask, string protectedHeader)
    {
        string spec = version == QuicVersion.V1 ? Rfc9001 : Rfc9369;
        var payload = HexBlockAfter(spec, "CRYPTO frame, and no PADDING frames:");
        var expected = HexBlockAfter(spec, "The final protected packet is then:");

        var hdr = Hex(header);
        var packet = new byte[hdr.Length + payload.Length + PacketKeys.TagLength];
        hdr.CopyTo(packet, 0);
        payload.CopyTo(packet, hdr.Length);

        InitialSecrets.CreateKeys(version, Dcid, isServer: true, out var send, out var serverReceive);
        Span<byte> m = stackalloc byte[5];
        send.HeaderProtectionMask(Hex(sample), m);
        Assert.Equal(mask, ToHex(m));

        Protect(packet, pnOffset: 18, pnLength: 2, pn: 1, send);
        Assert.Equal(protectedHeader, ToHex(packet.AsSpan(0, hdr.Length)));
        Assert.Equal(ToHex(expected), ToHex(packet));

        InitialSecrets.CreateKeys(version, Dcid, isServer: false, out var clientSend, out var receive);
        Assert.True(PacketProtector.TryRemoveHeaderProtection(packet, 18, receive, out int pnLength, out ulong truncated));
        Assert.Equal(2, pnLength);
        Assert.Equal(1UL, truncated);
        Assert.True(PacketProtector.TryDecrypt(packet, 18, pnLength, 1, receive, out int payloadLength));
        Assert.Equal(ToHex(payload), ToHex(packet.AsSpan(20, payloadLength)));
        send.Dispose(); serverReceive.Dispose(); clientSend.Dispose(); receive.Dispose();
    }

    [Theory]
    [InlineData(QuicVersion.V1)]
    [InlineData(QuicVersion.V2)]
    public void RetryTag(uint version)
    {
        var retry = HexBlockAfter(version == QuicVersion.V1 ? Rfc9001 : Rfc9369, "## Retry", exactLine: true);
        Span<byte> tag = stackalloc byte[16];
        RetryIntegrity.ComputeTag(version, Dcid, retry.AsSpan(0, retry.Length - 16), tag);
        Assert.Equal(ToHex(retry.AsSpan(retry.Length - 16)), ToHex(tag));
        Assert.True(RetryIntegrity.Verify(version, Dcid, retry));

        // Wrong original DCID, other version, or a flipped bit: rejected.
        Assert.False(RetryIntegrity.Verify(version, Hex("8394c8f03e515709"), retry));
        Assert.False(RetryIntegrity.Verify(version == QuicVersion.V1 ? QuicVersion.V2 : QuicVersion.V1, Dcid, retry));
        retry[10] ^= 1;
        Assert.False(RetryIntegrity.Verify(version, Dcid, retry));
        Assert.False(RetryIntegrity.Verify(version, Dcid, retry.AsSpan(0, 10)));
    }

    [Theory]
    // RFC 9001 §5.8: key/nonce = HKDF-Expand-Label(secret, "quic key"/"quic iv", "", 16/12).
    [InlineData(QuicVersion.V1, "d9c9943e6101fd200021506bcc02814c73030f25c79d71ce876eca876e6fca8e")]
    // RFC 9369 §3.3.3.
    [InlineData(QuicVersion.V2, "c4dd2484d681aefa4ff4d69c2c20299984a765a5d3c31982f38fc74162155e9f")]
    public void RetryKeysFollowFromTheirSecrets(uint version, string secret)
    {
        var hash = System.Security.Cryptography.HashAlgorithmName.SHA256;
        Assert.Equal(ToHex(HkdfLabel.Expand(hash, Hex(secret), PacketKeys.KeyLabel(version), default, 16)),
            ToHex(RetryIntegrity.Key(version)));
        Assert.Equal(ToHex(HkdfLabel.Expand(hash, Hex(secret), PacketKeys.IvLabel(version), default, 12)),
            ToHex(RetryIntegrity.Nonce(version)));
    }

    [Theory]
    // RFC 9001 §A.5
    [InlineData(QuicVersion.V1, "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8", "e0459b3474bdd0e44a41c144",
        "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4", "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9",
        "655e5cd55c41f69080575d7999c25a5bfb", "5e5cd55c41f69080575d7999c25a5bfb", "aefefe7d03", "4cfe4189655e5cd55c41f69080575d7999c25a5bfb")]
    // RFC 9369 §A.5
    [InlineData(QuicVersion.V2, "3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2", "a6b5bc6ab7dafce30ffff5dd",
        "d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2", "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88",
        "0ae7b6b932bc27d786f4bc2bb20f2162ba", "e7b6b932bc27d786f4bc2bb20f2162ba", "97580e32bf", "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba")]
    public void ChaCha20ShortHeader(uint version, string key, string iv, string hp, string ku,
        string ciphertext, string sample, string mask, string packetHex)
    {
        var secret = Hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
        using var keys = PacketKeys.Create(CipherSuite.ChaCha20Poly1305Sha256, secret, version);
        Assert.Equal(key, ToHex(keys.Key));
        Assert.Equal(iv, ToHex(keys.Iv));
        Assert.Equal(hp, ToHex(keys.HeaderProtectionKey));
        using (var next = keys.NextGeneration())
        {
            Assert.Equal(ku, ToHex(next.Secret));
            Assert.Equal(hp, ToHex(next.HeaderProtectionKey));
        }

        const ulong pn = 654360564;
        var ct = new byte[17];
        keys.Seal(pn, Hex("4200bff4"), [0x01], ct);
        Assert.Equal(ciphertext, ToHex(ct));

        Span<byte> m = stackalloc byte[5];
        keys.HeaderProtectionMask(Hex(sample), m);
        Assert.Equal(mask, ToHex(m));

        var packet = new byte[21];
        Hex("4200bff401").CopyTo(packet, 0);
        PacketProtector.Protect(packet, pnOffset: 1, pnLength: 3, pn, keys);
        Assert.Equal(packetHex, ToHex(packet));

        Assert.True(PacketProtector.TryRemoveHeaderProtection(packet, 1, keys, out int pnLength, out ulong truncated));
        Assert.Equal(3, pnLength);
        Assert.Equal(49140UL, truncated);
        Assert.Equal("4200bff4", ToHex(packet.AsSpan(0, 4)));
        Assert.True(PacketProtector.TryDecrypt(packet, 1, pnLength, pn, keys, out int payloadLength));
        Assert.Equal(1, payloadLength);
        Assert.Equal(0x01, packet[4]);
    }

    private static void Protect(byte[] packet, int pnOffset, int pnLength, ulong pn, PacketKeys keys) =>
        PacketProtector.Protect(packet, pnOffset, pnLength, pn, keys);
}
