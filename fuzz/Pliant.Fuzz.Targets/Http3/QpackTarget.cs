using Pliant.Http3;
using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;

namespace Pliant.Fuzz.Http3;

/// <summary>
/// QPACK and HTTP/3 payload decoders, chosen by the first byte (mod 5): 0 a field section
/// (<see cref="QpackDecoder"/>, with a round trip through <see cref="QpackEncoder"/>), 1 the encoder
/// stream and 2 the decoder stream parsers (input split into reads at chunk boundaries), 3 Huffman
/// (with a round trip), 4 a SETTINGS payload. Bad input must be an <see cref="Http3Exception"/>.
/// </summary>
public sealed class QpackTarget : FuzzTarget
{
    public override string Name => "qpack";

    public override string Description => "QPACK field sections (+ re-encode round trip), encoder/decoder stream parsers, Huffman, SETTINGS payloads";

    protected override void Execute(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        var rest = input[1..];
        switch (input[0] % 5)
        {
            case 0: FieldSection(rest); break;
            case 1:
            {
                var parser = new QpackEncoderStreamParser(maxTableCapacity: (ulong)(input[0] >> 4));
                var r = new FuzzInput(rest);
                while (!r.IsEmpty) parser.Process(r.Chunk());
                break;
            }
            case 2:
            {
                var parser = new QpackDecoderStreamParser();
                var r = new FuzzInput(rest);
                while (!r.IsEmpty) parser.Process(r.Chunk());
                break;
            }
            case 3:
            {
                byte[] decoded = Huffman.Decode(rest, Http3ErrorCode.QpackDecompressionFailed);
                var encoded = new byte[Huffman.GetEncodedLength(decoded)];
                Huffman.Encode(decoded, encoded);
                if (!Huffman.Decode(encoded, Http3ErrorCode.QpackDecompressionFailed).AsSpan().SequenceEqual(decoded))
                    throw new FuzzInvariantException("Huffman round trip changed the string");
                break;
            }
            default: Http3Settings.Parse(rest); break;
        }
    }

    private static void FieldSection(ReadOnlySpan<byte> section)
    {
        // The size limit comes from the input too, so the SETTINGS_MAX_FIELD_SECTION_SIZE check runs.
        long limit = section.IsEmpty || section[0] < 0x80 ? long.MaxValue : section[0] * 8L;
        var fields = QpackDecoder.Decode(section, limit);
        var again = QpackDecoder.Decode(QpackEncoder.Encode(fields));
        if (!again.SequenceEqual(fields)) throw new FuzzInvariantException("field section changed in a decode/encode/decode round trip");
    }

    protected override bool IsExpected(Exception e) => e is Http3Exception;

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        Http3Field[] request =
        [
            new(":method", "GET"), new(":scheme", "https"), new(":authority", "localhost:4433"), new(":path", "/index.html?q=1"),
            new("user-agent", "pliant"), new("accept", "*/*"), new("x-custom", "Value with spaces"),
        ];
        yield return ("request", [0, .. QpackEncoder.Encode(request)]);
        Http3Field[] response = [new(":status", "200"), new("content-type", "text/html"), new("content-length", "1234"), new("server", "pliant")];
        yield return ("response", [0, .. QpackEncoder.Encode(response)]);
        // A literal with a Huffman-coded name and value (RFC 9204 §4.5.6, H bits set), built by hand.
        byte[] name = HuffmanOf("custom-key"), value = HuffmanOf("custom-value");
        var line = new byte[64];
        int n = QpackInteger.Encode(line, 0x28, 3, (ulong)name.Length); // '001' N=0 H=1, 3-bit length prefix
        name.CopyTo(line.AsSpan(n));
        n += name.Length;
        n += QpackInteger.Encode(line.AsSpan(n), 0x80, 7, (ulong)value.Length); // H=1, 7-bit length prefix
        value.CopyTo(line.AsSpan(n));
        n += value.Length;
        yield return ("huffman-literal", [0, 0, 0, .. line.AsSpan(0, n)]);
        yield return ("encoder-stream", [1, 0, 2, 0x3f, 0xe1, 0, 1, 0x1f]);
        yield return ("decoder-stream", [2, 0, 3, 0x81, 0x41, 0x82]);
        yield return ("huffman", [3, .. HuffmanOf("www.example.com/a?b=c&d=%20")]);
        yield return ("settings", [4, .. SettingsPayload()]);
    }

    private static byte[] HuffmanOf(string text)
    {
        byte[] raw = System.Text.Encoding.ASCII.GetBytes(text);
        var encoded = new byte[Huffman.GetEncodedLength(raw)];
        Huffman.Encode(raw, encoded);
        return encoded;
    }

    private static byte[] SettingsPayload()
    {
        var s = new Http3Settings { MaxFieldSectionSize = 16384, QpackBlockedStreams = 0 };
        s.Unknown.Add((0x21, 7));
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        s.WritePayload(w);
        return w.WrittenSpan.ToArray();
    }
}
