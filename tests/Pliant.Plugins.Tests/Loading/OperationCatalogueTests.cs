using System.Text.RegularExpressions;
using Pliant.Plugins.Tests.Exchange;
using Pliant.Plugins.Tests.Support;
using Pliant.Plugins.Trust;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Loading;

/// <summary>
/// The operation catalogue is the one definition of every operation: the table's ids, the manifest
/// validator, the result checks, the trust policy's defaults and the table in docs/plugin-abi.md all agree
/// with it, and no operation name is spelled out anywhere else in src/.
/// </summary>
public partial class OperationCatalogueTests
{
    private const string Begin = "<!-- operation-catalogue:begin";
    private const string End = "<!-- operation-catalogue:end -->";

    [Fact]
    public void DocsTableIsTheCatalogue()
    {
        string doc = File.ReadAllText(Path.Combine(PluginFiles.RepoRoot, "docs", "plugin-abi.md")).ReplaceLineEndings("\n");
        int begin = doc.IndexOf(Begin, StringComparison.Ordinal);
        int end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/plugin-abi.md lacks the operation-catalogue markers");
        string table = doc[(doc.IndexOf('\n', begin) + 1)..end];
        // On a mismatch: `pliant plugin operations` prints the table to paste between the markers.
        Assert.Equal(OperationCatalog.MarkdownTable(), table);
    }

    [Fact]
    public void EveryOperationIdHasExactlyOneDefinitionInOrder()
    {
        var ids = Enum.GetValues<OperationId>().Where(i => i != OperationId.Count).ToList();
        Assert.Equal(ids, OperationCatalog.All.Select(d => d.Id));
        Assert.Equal(OperationCatalog.All.Count, OperationCatalog.All.Select(d => d.Name).Distinct().Count());
        Assert.Equal(OperationCatalog.All.Select(d => d.Name), OperationTable.KnownOperations);
        foreach (var d in OperationCatalog.All)
        {
            Assert.True(OperationCatalog.TryGet(d.Name, out var again) && ReferenceEquals(d, again));
            Assert.NotEqual(AnchorSet.None, d.Anchors);
            // A result only where something replaces, a bound only on a result, a cap only within a bound.
            if (d.Result is not null) Assert.True(d.Supports(Anchor.Replace), d.Name);
            if (d.Bound is not null) Assert.NotNull(d.Result);
            if (d.Remote == RemoteUse.Cap) Assert.NotNull(d.Bound);
            Assert.InRange(d.Arguments.Count, 0, 4);
        }
        Assert.False(OperationCatalog.TryGet("cc.nonsense", out _));
        Assert.False(OperationCatalog.TryGet(null, out _));
    }

    /// <summary>The manifest validator accepts a binding exactly when the catalogue offers the anchor.</summary>
    [Fact]
    public void ValidatorAcceptsExactlyWhatTheCatalogueOffers()
    {
        foreach (var d in OperationCatalog.All)
        {
            foreach (var anchor in new[] { Anchor.Replace, Anchor.Pre, Anchor.Post })
            {
                string name = OperationDefinition.AnchorName(anchor);
                var wasm = TestModules.Build($"cat.{d.Name}.{name}", [(d.Name, name)]);
                if (d.Supports(anchor))
                {
                    var m = PluginModule.Load(wasm);
                    Assert.Equal(d.Name, Assert.Single(m.Manifest.Bindings).Operation);
                }
                else
                {
                    var e = Assert.Throws<PluginLoadException>(() => PluginModule.Load(wasm));
                    Assert.Contains($"has no \"{name}\" anchor", e.Message, StringComparison.Ordinal);
                }
            }
        }
        var unknown = Assert.Throws<PluginLoadException>(() => PluginModule.Load(TestModules.Build("cat.unknown", [("cc.nonsense", "post")])));
        Assert.Contains("unknown operation \"cc.nonsense\"", unknown.Message, StringComparison.Ordinal);
    }

    /// <summary>The trust policy lets a peer's plugin bind exactly the anchors the catalogue grants a remote peer.</summary>
    [Fact]
    public void TrustPolicyDefaultsAreTheCataloguesRemoteColumn()
    {
        var policy = new PluginTrustPolicy();
        foreach (var d in OperationCatalog.All)
            foreach (var anchor in new[] { Anchor.Replace, Anchor.Pre, Anchor.Post })
            {
                bool expected = (d.RemoteAnchors & OperationDefinition.ToSet(anchor)) != 0;
                Assert.True(expected == policy.IsRemoteOperationAllowed(new OperationRequest(d.Name, OperationDefinition.AnchorName(anchor))),
                    $"{d.Name}:{OperationDefinition.AnchorName(anchor)} should be {(expected ? "allowed" : "refused")}");
            }
    }

    /// <summary>Every bound in the catalogue is enforced by the table: just inside passes, just outside detaches the owner.</summary>
    [Fact]
    public void EveryBoundIsEnforcedByTheTableWithOnePolicy()
    {
        const int Mds = 1452;
        foreach (var d in OperationCatalog.All.Where(d => d.Bound is not null))
        {
            var b = d.Bound!.Value;
            ulong min = b.MinimumFor(Mds);
            var outside = new List<ulong> { b.Max + 1, ulong.MaxValue };
            if (min > 0) outside.Add(min - 1);
            foreach (ulong bad in outside.Where(v => v > b.Max || v < min).Where(v => !(v == 0 && b.ZeroMeansNone)))
            {
                var table = new FakeSite().Operations;
                table.MaxDatagramSize = () => Mds;
                string? reason = null;
                ulong native = Math.Max(min, 1) + 5;
                table.Attach(d, Anchor.Replace, (ref OperationArgs a) => a.Result = bad, "bad", r => reason = r);
                Assert.Equal(native, table.Invoke(d.Id, native));
                Assert.False(table.IsReplaced(d.Name), $"{d.Name} = {bad} should detach");
                Assert.StartsWith($"broken invariant in {d.Name} (replace): result", reason, StringComparison.Ordinal);
            }
            var good = new FakeSite().Operations;
            good.MaxDatagramSize = () => Mds;
            good.Attach(d, Anchor.Replace, (ref OperationArgs a) => a.Result = min, "good", _ => Assert.Fail("in bound"));
            Assert.Equal(min, good.Invoke(d.Id, min + 100));
            Assert.True(good.IsReplaced(d.Name));
        }
    }

    [GeneratedRegex("\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    /// <summary>No operation name is spelled out in src/ outside the catalogue (a rename cannot miss a copy).</summary>
    [Fact]
    public void NoOperationNameLiteralOutsideTheCatalogue()
    {
        string src = Path.Combine(PluginFiles.RepoRoot, "src");
        string catalogue = Path.Combine(src, "Pliant.Quic", "Operations", "OperationCatalog.cs");
        var names = OperationCatalog.All.Select(d => d.Name).ToArray();
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(src, file);
            if (file == catalogue || rel.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ||
                rel.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            int lineNo = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNo++;
                string code = line.TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match m in StringLiteral().Matches(line))
                    foreach (var n in names)
                        if (Regex.IsMatch(m.Value, $@"(^|[^a-z_.]){Regex.Escape(n)}($|[^a-z_])"))
                            found.Add($"{rel}:{lineNo}: {n}");
            }
        }
        Assert.Empty(found);
    }

    /// <summary>
    /// The connection fields are numbered once, in <see cref="ConnectionField"/>: the SDK's <c>enum pliant_field</c>
    /// (PL_ and the name in upper snake case) and the field table of docs/plugin-abi.md §4 agree with it.
    /// </summary>
    [Fact]
    public void ConnectionFieldsAgreeWithTheSdkAndTheDocs()
    {
        string header = File.ReadAllText(Path.Combine(PluginFiles.RepoRoot, "plugins", "sdk", "pliant.h"));
        string doc = File.ReadAllText(Path.Combine(PluginFiles.RepoRoot, "docs", "plugin-abi.md"));
        int begin = header.IndexOf("enum pliant_field", StringComparison.Ordinal);
        string block = header[begin..header.IndexOf("};", begin, StringComparison.Ordinal)];
        var sdk = Regex.Matches(block, @"\b(PL_[A-Z0-9_]+)\s*=\s*(\d+)").ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var fields = Enum.GetValues<ConnectionField>();
        Assert.Equal(fields.Length, sdk.Count);
        foreach (var f in fields)
        {
            string snake = "PL_" + Regex.Replace(f.ToString(), "(?<=[a-z0-9])(?=[A-Z])", "_").ToUpperInvariant();
            Assert.True(sdk.TryGetValue(snake, out int n) && n == (int)f, $"pliant.h lacks {snake} = {(int)f}");
            Assert.Matches($@"\| {(int)f} \| {f}\b", doc);
        }
    }
}
