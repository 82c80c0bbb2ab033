using System.Net;
using Pliant.Router.QuicLb;

namespace Pliant.Router.Tests.QuicLb;

/// <summary>
/// The <c>--lb-config</c> JSON file (docs/routing.md): a complete file parses to the draft's parameters, and every kind
/// of bad file is refused with a <see cref="FormatException"/> that names the field, never another exception.
/// </summary>
public sealed class ConfigFileTests
{
    private const string Good = """
        {
          // comments and trailing commas are allowed
          "configs": [
            { "config_id": 0, "server_id_length": 3, "nonce_length": 6, "key": "8f95f09245765f80256934e50c66207f" },
            { "config_id": 2, "server_id_length": 2, "nonce_length": 4, "encode_length": false },
          ],
          "servers": [
            { "config_id": 0, "server_id": "0a0001", "address": "127.0.0.1:5001", "forwarding_header": true },
            { "config_id": 0, "server_id": "0a:00:02", "address": "[::1]:5002" },
            { "config_id": 2, "server_id": "07", "address": "127.0.0.1:5003", "forwarding_header": false }
          ]
        }
        """;

    [Fact]
    public void ACompleteFileParses()
    {
        var f = QuicLbConfigFile.Parse(Good);
        Assert.Equal(2, f.Configurations.Count);
        var c0 = f.Configurations[0];
        Assert.Equal((0, 3, 6, QuicLbAlgorithm.FourPass, true), (c0.ConfigId, c0.ServerIdLength, c0.NonceLength, c0.Algorithm, c0.EncodeLength));
        var c2 = f.Configurations[1];
        Assert.Equal((2, QuicLbAlgorithm.Plaintext, false), (c2.ConfigId, c2.Algorithm, c2.EncodeLength));
        Assert.Equal(3, f.Servers.Count);
        Assert.Equal(new byte[] { 0x0a, 0, 1 }, f.Servers[0].ServerId);
        Assert.True(f.Servers[0].ForwardingHeader);
        Assert.Equal(IPEndPoint.Parse("[::1]:5002"), f.Servers[1].Address);
        Assert.False(f.Servers[1].ForwardingHeader);
        Assert.Equal(new byte[] { 7 }, f.Servers[2].ServerId); // a host prefix, shorter than the server ID
        Assert.Same(c2, f.Select(2));
        Assert.Throws<FormatException>(() => f.Select(null)); // two configs: which one must be said
        Assert.Throws<FormatException>(() => f.Select(5));
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "one JSON object")]
    [InlineData("{}", "\"configs\" must be a non-empty array")]
    [InlineData("""{"configs":[]}""", "non-empty")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"extra":1}""", "unknown field \"extra\"")]
    [InlineData("""{"configs":[{"config_id":7,"server_id_length":3,"nonce_length":6}]}""", "configs[0]")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":3}]}""", "nonce")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":10,"nonce_length":10}]}""", "19 bytes")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6,"key":"00"}]}""", "16 bytes")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6,"key":"zz"}]}""", "hex string")]
    [InlineData("""{"configs":[{"config_id":"0","server_id_length":3,"nonce_length":6}]}""", "config_id must be an integer")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6},{"config_id":0,"server_id_length":3,"nonce_length":6}]}""", "given twice")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6,"encode_length":1}]}""", "encode_length")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":1,"server_id":"01","address":"127.0.0.1:1"}]}""", "no config with config_id 1")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"server_id":"01020304","address":"127.0.0.1:1"}]}""", "1 to 3 bytes")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"server_id":"","address":"127.0.0.1:1"}]}""", "1 to 3 bytes")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"address":"127.0.0.1:1"}]}""", "\"server_id\" is missing")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"server_id":"01","address":"example.com:1"}]}""", "address")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"server_id":"01","address":"127.0.0.1:0"}]}""", "address")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"server_id":"01","address":"127.0.0.1:1"},{"config_id":0,"server_id":"01","address":"127.0.0.1:2"}]}""", "given twice")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":[{"config_id":0,"server_id":"01","address":"127.0.0.1:1","forwarding_header":"yes"}]}""", "forwarding_header")]
    [InlineData("""{"configs":[{"config_id":0,"server_id_length":3,"nonce_length":6}],"servers":{}}""", "\"servers\" must be an array")]
    [InlineData("""{"configs":[[[[[[[[[[[[]]]]]]]]]]]]}""", "not valid JSON")]
    public void BadFilesAreRefusedWithTheFieldNamed(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => QuicLbConfigFile.Parse(json, "test.json"));
        Assert.StartsWith("test.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AMissingFileIsAFormatException()
    {
        var e = Assert.Throws<FormatException>(() => QuicLbConfigFile.Load(Path.Combine(Path.GetTempPath(), "pliant-no-such-lb-config.json")));
        Assert.Contains("pliant-no-such-lb-config.json", e.Message);
    }

    [Fact]
    public void RandomBytesNeverThrowAnythingElse()
    {
        var rng = new Random(71);
        var alphabet = "{}[]\",:0123456789abcdef truefalsnul\"config_id\"\"servers\"\"configs\"".ToCharArray();
        for (int i = 0; i < 5_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, rng.Next(0, 120)).Select(_ => alphabet[rng.Next(alphabet.Length)])]);
            try
            {
                QuicLbConfigFile.Parse(text);
            }
            catch (FormatException)
            {
            }
        }
        // A mutated good file, byte by byte.
        for (int at = 0; at < Good.Length; at++)
        {
            var mutated = Good[..at] + alphabet[at % alphabet.Length] + Good[(at + 1)..];
            try
            {
                QuicLbConfigFile.Parse(mutated);
            }
            catch (FormatException)
            {
            }
        }
    }
}
