using System.Globalization;
using System.Text.RegularExpressions;

namespace Pliant.Interop.Tests.Harness;

/// <summary>The <c>qpack key=N ...</c> line <c>pliant get</c> and <c>pliant serve</c> print per connection.</summary>
internal static class QpackLine
{
    public static Dictionary<string, long> Parse(string output)
    {
        var m = Regex.Match(output, @"^(?:\S+ )?qpack ((?:\w+=\d+ ?)+)$", RegexOptions.Multiline);
        Assert.True(m.Success, "no qpack line in\n" + output);
        return m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
    }
}
