using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Sdk;

/// <summary>
/// Writes the C source of a plugin skeleton (<c>pliant plugin new</c>): one handler per bound operation, its
/// manifest, and comments taken from the operation catalogue — when the core calls it, what A0..A3 and the path
/// argument mean, what a replacement returns and within which bound. The skeleton compiles as it is
/// (<c>plugins/build.sh</c>) and loads: a replacing handler returns the native value it receives, an observer counts
/// its calls. A researcher then changes the body.
/// </summary>
public static partial class PluginSkeleton
{
    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex PluginId();

    /// <summary>True when <paramref name="name"/> can name a plugin (lower case letters, digits and dashes, at most 63).</summary>
    public static bool IsValidName(string name) => PluginId().IsMatch(name);

    /// <summary>
    /// The C source of plugin <paramref name="name"/> binding each of <paramref name="bindings"/> (operation name,
    /// anchor). Throws <see cref="ArgumentException"/> for an unknown operation, an anchor the operation does not
    /// offer, a name that is not a plugin id, or the same operation twice.
    /// </summary>
    public static string Write(string name, IReadOnlyList<(string Operation, AnchorSet Anchor)> bindings)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(bindings);
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a plugin id: lower case letters, digits and dashes, starting with a letter, at most 63", nameof(name));
        if (bindings.Count == 0) throw new ArgumentException("bind at least one operation", nameof(bindings));
        var resolved = new List<(OperationDefinition Op, AnchorSet Anchor, string Export)>();
        foreach (var (operation, anchor) in bindings)
        {
            if (!OperationCatalog.TryGet(operation, out var op))
                throw new ArgumentException($"unknown operation '{operation}' (pliant plugin operations lists them)", nameof(bindings));
            if (anchor is not (AnchorSet.Replace or AnchorSet.Pre or AnchorSet.Post) || (op.Anchors & anchor) == 0)
                throw new ArgumentException($"{operation} offers {Anchors(op.Anchors)}, not {AnchorName(anchor)}", nameof(bindings));
            if (resolved.Exists(r => r.Op == op))
                throw new ArgumentException($"{operation} is bound twice", nameof(bindings));
            resolved.Add((op, anchor, ExportName(op.Name, anchor)));
        }

        var c = new StringBuilder();
        c.Append("/* ").Append(name).Append(" — a plugin skeleton written by `pliant plugin new`. The ABI: docs/plugin-abi.md.\n");
        c.Append(" * Build: plugins/build.sh (put this file in plugins/), or\n");
        c.Append(" *   clang --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -I plugins/sdk -Wl,--no-entry \\\n");
        c.Append(" *     -Wl,--export-dynamic -Wl,--allow-undefined -o ").Append(name).Append(".wasm ").Append(name).Append(".c\n");
        c.Append(" * Try it: pliant sim --plugin ").Append(name).Append(".wasm [--scenario FILE]   (native against plugin, seeded)\n");
        c.Append(" * Check it: pliant plugin inspect ").Append(name).Append(".wasm */\n");
        c.Append("#include \"pliant.h\"\n\n");
        c.Append("PLIANT_MANIFEST({\n  \"id\": \"").Append(name).Append("\", \"version\": \"1\",\n  \"bindings\": [\n");
        for (int i = 0; i < resolved.Count; i++)
        {
            var (op, anchor, export) = resolved[i];
            c.Append("    {\"operation\": \"").Append(op.Name).Append("\", \"anchor\": \"").Append(AnchorName(anchor))
             .Append("\", \"export\": \"").Append(export).Append("\"}").Append(i + 1 < resolved.Count ? ",\n" : "\n");
        }
        c.Append("  ]\n});\n\n");
        c.Append("/* Calls per handler, readable from the host (PluginInstance.Call(\"calls_...\")). */\n");
        foreach (var (_, _, export) in resolved)
        {
            c.Append("static uint64_t n_").Append(export).Append(";\n");
            c.Append("PLIANT_EXPORT(calls_").Append(export).Append(") int64_t calls_").Append(export)
             .Append("(void) { return (int64_t)n_").Append(export).Append("; }\n");
        }
        foreach (var (op, anchor, export) in resolved)
        {
            c.Append('\n');
            c.Append("/* ").Append(op.Name).Append(" (").Append(AnchorName(anchor)).Append("): ").Append(Comment(op.When)).Append('\n');
            for (int a = 0; a < op.Arguments.Count; a++)
                c.Append(" *   A").Append(a.ToString(CultureInfo.InvariantCulture)).Append(": ").Append(Comment(op.Arguments[a])).Append('\n');
            if (op.HasPath) c.Append(" *   PL_PATH: the path id (0 without multipath)\n");
            if (anchor == AnchorSet.Replace && op.Result is { } result)
            {
                c.Append(" *   result: ").Append(Comment(result)).Append('\n');
                if (op.Bound is { } bound)
                    c.Append(" *   bound: ").Append(Comment(bound.ToString())).Append(" — outside it the plugin is detached and the native value used\n");
            }
            c.Append(" */\n");
            c.Append("PLIANT_EXPORT(").Append(export).Append(") void ").Append(export).Append("(void)\n{\n");
            for (int a = 0; a < op.Arguments.Count; a++)
                c.Append("    int64_t a").Append(a.ToString(CultureInfo.InvariantCulture)).Append(" = pl_arg(PL_A").Append(a.ToString(CultureInfo.InvariantCulture)).Append(");\n");
            if (op.HasPath) c.Append("    int64_t path = pl_arg(PL_PATH);\n");
            for (int a = 0; a < op.Arguments.Count; a++) c.Append("    (void)a").Append(a.ToString(CultureInfo.InvariantCulture)).Append(";\n");
            if (op.HasPath) c.Append("    (void)path;\n");
            c.Append("    n_").Append(export).Append("++;\n");
            if (anchor == AnchorSet.Replace && op.Result is not null)
                c.Append("    pl_set_result(pl_arg(PL_RESULT)); /* the native value: return yours instead */\n");
            c.Append("}\n");
        }
        return c.ToString();
    }

    /// <summary>The export of a handler: the operation's name with its separators as underscores, and the anchor.</summary>
    public static string ExportName(string operation, AnchorSet anchor)
    {
        var s = new StringBuilder(operation.Length + 8);
        foreach (char ch in operation) s.Append(char.IsAsciiLetterOrDigit(ch) ? ch : '_');
        return s.Append('_').Append(AnchorName(anchor)).ToString();
    }

    /// <summary>The manifest's name of an anchor.</summary>
    public static string AnchorName(AnchorSet anchor) => anchor switch
    {
        AnchorSet.Replace => "replace",
        AnchorSet.Pre => "pre",
        AnchorSet.Post => "post",
        _ => anchor.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses <c>replace</c>, <c>pre</c> or <c>post</c>.</summary>
    public static bool TryParseAnchor(string text, out AnchorSet anchor)
    {
        anchor = text switch { "replace" => AnchorSet.Replace, "pre" => AnchorSet.Pre, "post" => AnchorSet.Post, _ => AnchorSet.None };
        return anchor != AnchorSet.None;
    }

    /// <summary>The anchor a skeleton uses when none is asked for: replace where offered, else post, else pre.</summary>
    public static AnchorSet DefaultAnchor(OperationDefinition op) =>
        (op.Anchors & AnchorSet.Replace) != 0 ? AnchorSet.Replace : (op.Anchors & AnchorSet.Post) != 0 ? AnchorSet.Post : AnchorSet.Pre;

    private static string Anchors(AnchorSet set) =>
        string.Join("/", new[] { AnchorSet.Replace, AnchorSet.Pre, AnchorSet.Post }.Where(a => (set & a) != 0).Select(AnchorName));

    /// <summary>Catalogue text inside a C block comment: no comment terminator, one line.</summary>
    private static string Comment(string text) => text.Replace("*/", "* /", StringComparison.Ordinal).Replace('\n', ' ');
}
