using Pliant.Fuzz.Plugins;
using Pliant.Plugins.Trust;

namespace Pliant.Fuzz.Tests.Regressions;

/// <summary>
/// Found by the plugin-exchange target (fuzz/crashes/plugin-exchange/aa3c76426c007073): a custom
/// section whose name length is read past the section's end (an empty custom section followed by a
/// large byte) made <see cref="WasmSections.Read"/> slice outside the module: ArgumentOutOfRangeException
/// instead of FormatException. A peer could push such a module: the exchange hashes it with
/// <see cref="PluginHash.Compute"/>, which only expects FormatException, so the exception left the
/// connection's frame processing.
/// </summary>
public class WasmSectionsTests
{
    // Header, then custom section id 0 of size 0, then 0x7f (read as a name length of 127).
    private static readonly byte[] s_module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7f];

    [Fact]
    public void NameLengthPastTheSectionIsMalformed()
    {
        Assert.Throws<FormatException>(() => WasmSections.Read(s_module));
        Assert.Throws<FormatException>(() => PluginHash.Compute(s_module));
    }

    [Fact]
    public void CommittedCrashInputRunsCleanly() =>
        new PluginExchangeTarget().Run(FuzzFiles.Crash("plugin-exchange", "aa3c76426c007073"));
}
