using System.CommandLine;

namespace Pliant.Cli;

/// <summary>Builds the <c>pliant</c> command tree.</summary>
internal static class CommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Pliant: a QUIC stack for .NET with protocol plugins.");
        root.Subcommands.Add(WasmCommands.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root.Parse(args).Invoke();
    }
}
