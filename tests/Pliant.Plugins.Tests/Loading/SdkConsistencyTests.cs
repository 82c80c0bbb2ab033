using System.Text.RegularExpressions;
using Pliant.Plugins.Abi;
using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Loading;

/// <summary>plugins/sdk/pliant.h mirrors the host: field numbering and the import list.</summary>
public partial class SdkConsistencyTests
{
    private static readonly string Header = File.ReadAllText(Path.Combine(PluginFiles.RepoRoot, "plugins", "sdk", "pliant.h"));

    [GeneratedRegex(@"PL_([A-Z_]+)\s*=\s*(\d+),")]
    private static partial Regex FieldPattern();

    [GeneratedRegex(@"PLIANT_IMPORT\((\w+)\)")]
    private static partial Regex ImportPattern();

    [Fact]
    public void FieldEnumMatchesConnectionField()
    {
        var fields = FieldPattern().Matches(Header)
            .Select(m => (Name: m.Groups[1].Value.Replace("_", "", StringComparison.Ordinal), Value: int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Where(f => f.Name is not ("A0" or "A1" or "A2" or "A3" or "RESULT" or "PATH"))
            .ToList();
        var expected = Enum.GetValues<ConnectionField>().Select(f => (Name: f.ToString().ToUpperInvariant(), Value: (int)f)).ToList();
        Assert.Equal(expected, fields.Where(f => !f.Name.StartsWith("STREAM", StringComparison.Ordinal)));
        // enum pliant_stream_field (PL_STREAM_*) mirrors StreamField.
        var stream = Enum.GetValues<StreamField>().Select(f => (Name: "STREAM" + f.ToString().ToUpperInvariant(), Value: (int)f)).ToList();
        Assert.Equal(stream, fields.Where(f => f.Name.StartsWith("STREAM", StringComparison.Ordinal)));
    }

    [Fact]
    public void HeaderDeclaresEveryHostFunction()
    {
        var declared = ImportPattern().Matches(Header).Select(m => m.Groups[1].Value).Where(n => n != "name").Order();
        Assert.Equal(AbiSignatures.Imports.Keys.Order(), declared);
    }
}
