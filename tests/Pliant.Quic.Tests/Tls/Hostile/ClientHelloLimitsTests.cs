using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Tls.Hostile;

/// <summary>
/// Issue 11 item 11: a ClientHello's extension list, key shares and uint16 lists are parsed in linear
/// time and bounded (TlsLimits: 128 extensions, 16 key shares, 256 list entries, 16 PSK identities);
/// a hostile ClientHello stuffed with thousands of entries is refused with illegal_parameter before
/// any quadratic work can happen.
/// </summary>
public class ClientHelloLimitsTests
{
    private const byte IllegalParameter = 47;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>The real client's ClientHello, edited by <paramref name="edit"/>, fed to a fresh server.</summary>
    private static QuicProtocolException? Offer(Action<ClientHelloEditor> edit, out TlsHandshake server)
    {
        var client = TlsHandshake.CreateClient(TlsPair.ClientOptions(), TlsPair.ClientParams);
        client.Start();
        Assert.True(client.TryPollEvent(out var hello));
        var editor = new ClientHelloEditor(hello.Data!);
        edit(editor);
        byte[] edited = editor.Build();
        var s = TlsHandshake.CreateServer(TlsPair.ServerOptions(), TlsPair.ServerParams);
        server = s;
        // A generous guard against a hang, not a timing assertion.
        var run = Task.Run(() =>
        {
            try
            {
                s.HandleCryptoData(EncryptionLevel.Initial, edited);
                return null;
            }
            catch (QuicProtocolException e)
            {
                return e;
            }
        });
        Assert.True(run.Wait(HangGuard), "ClientHello processing did not finish");
        return run.Result;
    }

    private static void AssertRefused(QuicProtocolException? e, string messagePart)
    {
        Assert.NotNull(e);
        Assert.Equal((TransportErrorCode)(0x100 + IllegalParameter), e!.ErrorCode);
        Assert.Contains(messagePart, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThousandsOfExtensions_Refused()
    {
        // 15,000 distinct unknown (so otherwise ignored) extension types: with a pairwise duplicate check
        // that was ~10^8 comparisons, and the hello was then accepted.
        var e = Offer(h => h.Extensions.AddRange(Enumerable.Range(0, 15_000).Select(i => ((ushort)(0x1000 + i), Array.Empty<byte>()))), out _);
        AssertRefused(e, "more than 128");
    }

    [Fact]
    public void ExtensionsUpToTheBound_Accepted()
    {
        var e = Offer(h =>
        {
            int room = 128 - h.Extensions.Count;
            h.Extensions.AddRange(Enumerable.Range(0, room).Select(i => ((ushort)(0x1000 + i), Array.Empty<byte>())));
        }, out var server);
        Assert.Null(e);
        Assert.True(server.TryPollEvent(out var first));
        Assert.Equal(TlsEventKind.PeerTransportParameters, first.Kind);
    }

    [Fact]
    public void DuplicateExtensionFarDownTheList_IllegalParameter()
    {
        var e = Offer(h =>
        {
            h.Extensions.AddRange(Enumerable.Range(0, 100).Select(i => ((ushort)(0x1000 + i), Array.Empty<byte>())));
            h.Extensions.Add((0x1000 + 7, []));
        }, out _);
        AssertRefused(e, "duplicate extension");
    }

    [Fact]
    public void ThousandsOfGroups_Refused()
    {
        // supported_groups with 20,000 entries (the real ones first): each key share used to be looked
        // up in it with a linear scan.
        var e = Offer(h => h.Replace(10, ClientHelloEditor.U16List(
            new ushort[] { 0x001d, 0x0017 }.Concat(Enumerable.Range(0, 20_000).Select(i => (ushort)(0x2000 + i))))), out _);
        AssertRefused(e, "supported_groups");
    }

    [Fact]
    public void ManyKeyShares_Refused()
    {
        // 200 groups (under the list bound) each with a one-byte share: within the list bound, over the
        // key-share bound. The old loop checked each share against all earlier ones.
        var groups = Enumerable.Range(0, 200).Select(i => (ushort)(0x2000 + i)).ToArray();
        var e = Offer(h =>
        {
            h.Replace(10, ClientHelloEditor.U16List(groups.Prepend((ushort)0x001d)));
            var original = h.Extensions.Find(x => x.Type == 51).Data;
            var shares = new List<byte>(original[2..]);
            foreach (ushort g in groups) shares.AddRange([(byte)(g >> 8), (byte)g, 0, 1, 0x42]);
            h.Replace(51, [(byte)(shares.Count >> 8), (byte)shares.Count, .. shares]);
        }, out _);
        AssertRefused(e, "key_share");
    }

    [Fact]
    public void DuplicateKeyShare_StillIllegalParameter()
    {
        var e = Offer(h =>
        {
            var original = h.Extensions.Find(x => x.Type == 51).Data;
            var share = original[2..];
            byte[] twice = [.. share, .. share];
            h.Replace(51, [(byte)(twice.Length >> 8), (byte)twice.Length, .. twice]);
        }, out _);
        AssertRefused(e, "duplicate group");
    }

    [Fact]
    public void ManyCipherSuites_Refused()
    {
        // cipher_suites sit before the extensions: rebuild the hello by hand with 30,000 suites.
        var client = TlsHandshake.CreateClient(TlsPair.ClientOptions(), TlsPair.ClientParams);
        client.Start();
        Assert.True(client.TryPollEvent(out var hello));
        byte[] ch = hello.Data!;
        int p = 4 + 2 + 32;
        p += 1 + ch[p];
        int suitesLength = ch[p] << 8 | ch[p + 1];
        var suites = Enumerable.Range(0, 30_000).SelectMany(i => new[] { (byte)0x7a, (byte)i }).ToArray();
        suites = [.. suites.Take(60_000 - 2 - suitesLength), .. ch[(p + 2)..(p + 2 + suitesLength)]];
        byte[] body = [.. ch[4..p], (byte)(suites.Length >> 8), (byte)suites.Length, .. suites, .. ch[(p + 2 + suitesLength)..]];
        byte[] edited = [1, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
        var server = TlsHandshake.CreateServer(TlsPair.ServerOptions(), TlsPair.ServerParams);
        var ex = Assert.Throws<QuicProtocolException>(() => server.HandleCryptoData(EncryptionLevel.Initial, edited));
        Assert.Equal((TransportErrorCode)(0x100 + IllegalParameter), ex.ErrorCode);
        Assert.Contains("cipher_suites", ex.Message, StringComparison.Ordinal);
    }
}
