using Pliant.Http3.Qpack;

namespace Pliant.Http3.Tests.Qpack;

/// <summary>
/// Our encoder against our decoder through links that split and delay the encoder stream, the decoder
/// stream and the field sections independently (as QUIC streams may), with stream cancellations: every
/// section decodes to exactly what was encoded, no stream waits beyond SETTINGS_QPACK_BLOCKED_STREAMS, no
/// reference ever reaches an evicted entry, and once everything is delivered nothing is left tracked. Seeded.
/// </summary>
public sealed class QpackSimulationTests
{
    private sealed record Sent(ulong Stream, byte[] Section, List<Http3Field> Fields);

    private sealed class Link
    {
        private readonly List<byte> _bytes = [];

        public void Add(QpackInstructionQueue q)
        {
            while (q.TryDequeue(out var chunk)) _bytes.AddRange(chunk);
        }

        public int Count => _bytes.Count;

        public byte[] Take(int n)
        {
            n = Math.Min(n, _bytes.Count);
            var r = _bytes.GetRange(0, n).ToArray();
            _bytes.RemoveRange(0, n);
            return r;
        }
    }

    [Theory]
    [InlineData(1, 4096UL, 16UL)]
    [InlineData(2, 4096UL, 0UL)]
    [InlineData(3, 256UL, 2UL)]
    [InlineData(4, 1024UL, 1UL)]
    [InlineData(5, 220UL, 100UL)]
    [InlineData(6, 16384UL, 16UL)]
    public async Task RandomTrafficDecodesExactly(int seed, ulong capacity, ulong blocked)
    {
        var rng = new Random(seed);
        var encoder = new QpackEncoderContext(capacity);
        var decoder = new QpackDecoderContext(capacity, (int)blocked);
        encoder.ApplyPeerSettings(capacity, blocked);
        var decoderStreamParser = encoder.CreateDecoderStreamParser();
        var encoderLink = new Link();
        var decoderLink = new Link();
        var inFlight = new List<Sent>();
        var pending = new List<(Sent Sent, long Ric, Task<List<Http3Field>> Task)>();
        string[] names = ["user-agent", "accept", "x-tenant", "x-trace-tag", "accept-language", ":authority", "x-feature", "cache-control", "cookie", ":path"];
        ulong nextStream = 0;
        int decoded = 0;

        async Task SettleAsync()
        {
            // Sections whose inserts have all arrived finish decoding before the next step (determinism).
            foreach (var p in pending.Where(p => p.Ric <= decoder.InsertsReceived).ToList())
            {
                var fields = await p.Task.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(p.Sent.Fields, fields);
                pending.Remove(p);
                decoded++;
            }
            Assert.True(decoder.BlockedNow <= (int)blocked);
        }

        for (int step = 0; step < 3000; step++)
        {
            switch (rng.Next(10))
            {
                case < 4:
                {
                    // Encode a section: a few lines that repeat across sections, some that do not.
                    var fields = new List<Http3Field>();
                    int lines = rng.Next(1, 9);
                    for (int i = 0; i < lines; i++)
                    {
                        string name = names[rng.Next(names.Length)];
                        string value = rng.Next(4) == 0 ? "v" + rng.Next(100_000) : "common-" + rng.Next(6);
                        fields.Add(new Http3Field(name, value));
                    }
                    ulong id = nextStream += 4;
                    inFlight.Add(new Sent(id, encoder.Encode(id, fields), fields));
                    encoderLink.Add(encoder.Instructions);
                    break;
                }
                case 4 or 5:
                {
                    if (encoderLink.Count == 0) break;
                    decoder.ProcessEncoderStream(encoderLink.Take(rng.Next(1, 200)));
                    await SettleAsync();
                    decoderLink.Add(decoder.Instructions);
                    break;
                }
                case 6 or 7:
                {
                    if (inFlight.Count == 0) break;
                    var s = inFlight[rng.Next(inFlight.Count)];
                    inFlight.Remove(s);
                    long ric = QpackDecoder.ReadPrefix(s.Section, capacity, decoder.InsertsReceived).RequiredInsertCount;
                    var task = decoder.DecodeAsync(s.Stream, s.Section, long.MaxValue, default).AsTask();
                    pending.Add((s, ric, task));
                    await SettleAsync();
                    decoderLink.Add(decoder.Instructions);
                    break;
                }
                case 8:
                {
                    if (decoderLink.Count == 0) break;
                    decoderStreamParser.Process(decoderLink.Take(rng.Next(1, 20)));
                    break;
                }
                default:
                {
                    // The stream is reset before its section was read: the decoder cancels it.
                    if (inFlight.Count == 0 || rng.Next(3) != 0) break;
                    var s = inFlight[rng.Next(inFlight.Count)];
                    inFlight.Remove(s);
                    decoder.StreamCancelled(s.Stream);
                    decoderLink.Add(decoder.Instructions);
                    break;
                }
            }
        }
        // Deliver everything left.
        foreach (var s in inFlight)
        {
            long ric = QpackDecoder.ReadPrefix(s.Section, capacity, decoder.InsertsReceived).RequiredInsertCount;
            pending.Add((s, ric, decoder.DecodeAsync(s.Stream, s.Section, long.MaxValue, default).AsTask()));
        }
        while (encoderLink.Count > 0) decoder.ProcessEncoderStream(encoderLink.Take(64));
        await SettleAsync();
        Assert.Empty(pending);
        decoderLink.Add(decoder.Instructions);
        while (decoderLink.Count > 0) decoderStreamParser.Process(decoderLink.Take(7));
        Assert.Equal(0, encoder.TrackedSections);
        Assert.Equal(decoder.InsertsReceived, encoder.InsertsSent);
        Assert.True(decoded > 500, $"only {decoded} sections decoded");
        if (capacity >= 1024) Assert.True(encoder.DynamicReferencesSent > 500, $"only {encoder.DynamicReferencesSent} dynamic references");
        if (blocked == 0) Assert.Equal(0, decoder.BlockedSections);
    }
}
