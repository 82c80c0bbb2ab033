using System.Net;
using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;
using static Pliant.Quic.Tests.Crypto.SpecText;

namespace Pliant.Quic.Tests.Crypto;

public class TokenTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("192.0.2.10"), 4433);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::1"), 50000);
    private static readonly ConnectionId Odcid = new(Hex("8394c8f03e515708"));
    private static readonly ConnectionId RetryScid = new(Hex("f067a5502a4262b5"));
    private const long Now = 1_800_000_000;

    [Fact]
    public void RetryTokenRoundTrip()
    {
        using var tokens = new AddressTokens();
        foreach (var client in new[] { Client4, Client6 })
        {
            var token = tokens.CreateRetryToken(client, Odcid, RetryScid, Now);
            Assert.True(AddressTokens.IsRetryToken(token));
            Assert.False(AddressTokens.IsNewToken(token));
            Assert.True(tokens.TryValidateRetryToken(token, client, Now + 3, out var odcid, out var scid));
            Assert.Equal(Odcid, odcid);
            Assert.Equal(RetryScid, scid);
        }
    }

    [Fact]
    public void RetryTokenWithEmptyAndMaximalConnectionIds()
    {
        using var tokens = new AddressTokens();
        var max = new ConnectionId(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        var token = tokens.CreateRetryToken(Client4, max, ConnectionId.Empty, Now);
        Assert.True(tokens.TryValidateRetryToken(token, Client4, Now, out var odcid, out var scid));
        Assert.Equal(max, odcid);
        Assert.Equal(0, scid.Length);
    }

    [Fact]
    public void RetryTokenRejections()
    {
        using var tokens = new AddressTokens();
        var token = tokens.CreateRetryToken(Client4, Odcid, RetryScid, Now);
        // Expired (10 s lifetime) or from the future.
        Assert.True(tokens.TryValidateRetryToken(token, Client4, Now + 10, out _, out _));
        Assert.False(tokens.TryValidateRetryToken(token, Client4, Now + 11, out _, out _));
        Assert.False(tokens.TryValidateRetryToken(token, Client4, Now - 1, out _, out _));
        // Other port or address.
        Assert.False(tokens.TryValidateRetryToken(token, new IPEndPoint(Client4.Address, 4434), Now, out _, out _));
        Assert.False(tokens.TryValidateRetryToken(token, new IPEndPoint(IPAddress.Parse("192.0.2.11"), 4433), Now, out _, out _));
        Assert.False(tokens.TryValidateRetryToken(token, Client6, Now, out _, out _));
        // Tampered anywhere, truncated, or another key.
        for (int i = 0; i < token.Length; i++)
        {
            var t = (byte[])token.Clone();
            t[i] ^= 0x04;
            Assert.False(tokens.TryValidateRetryToken(t, Client4, Now, out _, out _));
        }
        Assert.False(tokens.TryValidateRetryToken(token.AsSpan(0, token.Length - 1), Client4, Now, out _, out _));
        Assert.False(tokens.TryValidateRetryToken(ReadOnlySpan<byte>.Empty, Client4, Now, out _, out _));
        using var other = new AddressTokens();
        Assert.False(other.TryValidateRetryToken(token, Client4, Now, out _, out _));
        // A Retry token is not a NEW_TOKEN token.
        Assert.False(tokens.TryValidateNewToken(token, Client4, Now));
    }

    [Fact]
    public void NewTokenRoundTripAndRejections()
    {
        using var tokens = new AddressTokens(RandomNumberGenerator.GetBytes(32));
        var token = tokens.CreateNewToken(Client6, Now);
        Assert.True(AddressTokens.IsNewToken(token));
        Assert.True(tokens.TryValidateNewToken(token, Client6, Now + 3600));
        // Any port (RFC 9000 §8.1.3), but the same IP.
        Assert.True(tokens.TryValidateNewToken(token, new IPEndPoint(Client6.Address, 1), Now));
        Assert.False(tokens.TryValidateNewToken(token, new IPEndPoint(IPAddress.Parse("2001:db8::2"), 50000), Now));
        // 24 h lifetime.
        Assert.True(tokens.TryValidateNewToken(token, Client6, Now + 24 * 3600));
        Assert.False(tokens.TryValidateNewToken(token, Client6, Now + 24 * 3600 + 1));
        // Not a Retry token; every token is unique (random nonce).
        Assert.False(tokens.TryValidateRetryToken(token, Client6, Now, out _, out _));
        Assert.NotEqual(token, tokens.CreateNewToken(Client6, Now));
        var t = (byte[])token.Clone();
        t[^3] ^= 1;
        Assert.False(tokens.TryValidateNewToken(t, Client6, Now));
    }

    [Fact]
    public void Ipv4MappedAddressesMatchIpv4()
    {
        using var tokens = new AddressTokens();
        var mapped = new IPEndPoint(Client4.Address.MapToIPv6(), Client4.Port);
        var token = tokens.CreateRetryToken(mapped, Odcid, RetryScid, Now);
        Assert.True(tokens.TryValidateRetryToken(token, Client4, Now, out _, out _));
        var newToken = tokens.CreateNewToken(Client4, Now);
        Assert.True(tokens.TryValidateNewToken(newToken, mapped, Now));
    }

    [Fact]
    public void KeyedTokensSurviveARestart()
    {
        var key = RandomNumberGenerator.GetBytes(16);
        byte[] token;
        using (var a = new AddressTokens(key)) token = a.CreateNewToken(Client4, Now);
        using var b = new AddressTokens(key);
        Assert.True(b.TryValidateNewToken(token, Client4, Now + 5));
        Assert.Throws<ArgumentException>(() => new AddressTokens(new byte[15]));
    }

    [Fact]
    public void StatelessResetTokenIsTruncatedHmac()
    {
        var key = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        var cid = new ConnectionId(Hex("0102030405060708"));
        var token = new byte[16];
        StatelessResetTokens.Derive(key, cid, token);
        var mac = HMACSHA256.HashData(key, cid.ToArray());
        Assert.Equal(ToHex(mac.AsSpan(0, 16)), ToHex(token));

        // Deterministic per CID, different across CIDs and keys.
        var again = new byte[16];
        StatelessResetTokens.Derive(key, cid, again);
        Assert.Equal(token, again);
        StatelessResetTokens.Derive(key, new ConnectionId(Hex("0102030405060709")), again);
        Assert.NotEqual(token, again);
        key[0] ^= 1;
        StatelessResetTokens.Derive(key, cid, again);
        Assert.NotEqual(token, again);
        Assert.Throws<ArgumentException>(() => StatelessResetTokens.Derive(new byte[8], cid, again));
    }
}
