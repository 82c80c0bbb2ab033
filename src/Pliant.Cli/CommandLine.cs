using System.CommandLine;

namespace Pliant.Cli;

/// <summary>Builds the <c>pliant</c> command tree.</summary>
internal static class CommandLine
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("Pliant: a QUIC stack for .NET with protocol plugins.");
        root.Subcommands.Add(WasmCommands.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(PluginCommands.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RelayCommand.Create());
        root.Subcommands.Add(RouteCommand.Create());
        root.Subcommands.Add(QlogCommand.Create());
        root.Subcommands.Add(Sim.SimCommand.Create());
        if (root.Parse(args).Errors is { Count: > 0 } usageErrors)
        {
            // Usage errors exit with 2 (pliant get documents 0 ok, 1 transfer, 2 usage, 3 connection).
            foreach (var e in usageErrors) Console.Error.WriteLine("pliant: " + e.Message);
            return 2;
        }
        var parsed = root.Parse(args);
        // pliant serve --reuseport handles SIGTERM itself: its drain outlasts System.CommandLine's 2 s termination timeout.
        return parsed.CommandResult.Command.Name == "serve" && parsed.GetValue<bool>("--reuseport")
            ? parsed.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null })
            : parsed.Invoke();
    }
}
