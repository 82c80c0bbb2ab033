using System.CommandLine;
using System.Globalization;
using Pliant.Plugins;

namespace Pliant.Cli.Sim;

/// <summary>
/// <c>pliant sim [--plugin FILE]... [--scenario FILE] [--side server|client|both] [--seed N] [--runs N]</c>: a
/// download through the seeded in-process simulator, once with the native stack and once with the plugins attached,
/// and the figures side by side (virtual time: the same seed gives the same result on any machine). For a researcher
/// trying a scheduler or controller (issue 15 item 4; <c>pliant plugin new</c> writes the skeleton).
/// </summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var plugin = new Option<string[]>("--plugin") { Description = "plugin module (.wasm) to attach; repeatable. Without one: the native stack alone" };
        var scenario = new Option<string?>("--scenario")
        {
            Description = "JSON scenario: {\"rate_mbit\":20,\"delay_ms\":10,\"loss_percent\":1,\"reorder_percent\":0,\"reorder_delay_ms\":5,\"queue_kib\":256,\"size_mib\":8,\"time_limit_s\":120,\"cc\":\"cubic\"} (every key optional; these are the defaults but loss 0)",
        };
        var side = new Option<string>("--side") { Description = "where the plugins attach: server (the sender; default), client, both", DefaultValueFactory = _ => "server" };
        var seed = new Option<int>("--seed") { Description = "seed of the first run (links, connection IDs, data)", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "runs with seeds seed..seed+runs-1 (1 to 100)", DefaultValueFactory = _ => 1 };
        var cmd = new Command("sim", "Download through the seeded network simulator with the native stack and with plugins attached, and print both (goodput, losses, PTOs, RTT, window, the plugins' calls and faults). Deterministic per seed.");
        foreach (var o in new Option[] { plugin, scenario, side, seed, runs }) cmd.Options.Add(o);
        cmd.SetAction(pr => Run(pr.GetValue(plugin) ?? [], pr.GetValue(scenario), pr.GetValue(side)!, pr.GetValue(seed), pr.GetValue(runs)));
        return cmd;
    }

    private static int Run(string[] pluginFiles, string? scenarioFile, string sideText, int seed, int runs)
    {
        if (runs is < 1 or > 100) return Usage("--runs must be 1 to 100");
        SimSide side = sideText switch
        {
            "server" => SimSide.Server,
            "client" => SimSide.Client,
            "both" => SimSide.Both,
            _ => (SimSide)(-1),
        };
        if (side < 0) return Usage($"--side must be server, client or both, not '{sideText}'");
        SimScenario scenario;
        try
        {
            scenario = scenarioFile is null ? new SimScenario() : SimScenario.Parse(ReadBounded(scenarioFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return Usage($"{scenarioFile}: {e.Message}");
        }
        var modules = new List<PluginModule>();
        foreach (var f in pluginFiles)
        {
            try
            {
                modules.Add(PluginModule.LoadFile(f));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PluginLoadException)
            {
                return Usage($"{f}: {e.Message}");
            }
        }

        Console.WriteLine($"pliant sim: {scenario} seed={seed}{(runs > 1 ? $"..{seed + runs - 1}" : "")}" +
                          (modules.Count == 0 ? "" : $" plugins={string.Join(",", modules.Select(m => m.Id + "@" + m.Version))} on {sideText}"));
        var native = new List<SimResult>();
        var withPlugins = new List<SimResult>();
        for (int r = 0; r < runs; r++)
        {
            native.Add(SimRun.Run(scenario, seed + r, [], side));
            if (modules.Count > 0) withPlugins.Add(SimRun.Run(scenario, seed + r, modules, side));
            PrintRun(seed + r, "native", native[^1]);
            if (modules.Count > 0) PrintRun(seed + r, "plugin", withPlugins[^1]);
        }
        Console.WriteLine();
        Console.WriteLine(modules.Count == 0 ? $"{"median",-26}{"native",12}" : $"{"median",-26}{"native",12}{"plugin",12}{"plugin/native",16}");
        Row("completion s", native, withPlugins, x => x.Seconds, "F3");
        Row("goodput Mbit/s", native, withPlugins, x => x.GoodputMbit, "F2");
        Row("packets sent (server)", native, withPlugins, x => x.PacketsSent, "F0");
        Row("packets lost (server)", native, withPlugins, x => x.PacketsLost, "F0");
        Row("PTOs (server)", native, withPlugins, x => x.Ptos, "F0");
        Row("smoothed RTT ms (end)", native, withPlugins, x => x.SrttMs, "F1");
        Row("window KiB (end)", native, withPlugins, x => x.CwndKib, "F1");
        Row("datagrams dropped by links", native, withPlugins, x => x.LinkDrops, "F0");
        foreach (var (where, p) in withPlugins.Count > 0 ? withPlugins[^1].Plugins : [])
        {
            var u = p.Usage;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"plugin {p.Module.Id}@{p.Module.Version} on the {where} (last run): {(p.IsAttached ? "attached" : "detached: " + p.DetachReason)}, {u.Calls} calls, {u.TimeInside.TotalMilliseconds:F1} ms inside, fuel {u.Fuel}"));
        }
        int failed = native.Count(x => !x.Completed) + withPlugins.Count(x => !x.Completed);
        return failed == 0 ? 0 : 1;
    }

    private static void PrintRun(int seed, string config, SimResult x) => Console.WriteLine(x.Completed
        ? string.Create(CultureInfo.InvariantCulture,
            $"seed={seed} config={config} completion_s={x.Seconds:F3} goodput_mbit={x.GoodputMbit:F2} sent={x.PacketsSent} lost={x.PacketsLost} ptos={x.Ptos} srtt_ms={x.SrttMs:F1} cwnd_kib={x.CwndKib:F1} link_drops={x.LinkDrops}")
        : $"seed={seed} config={config} failed: {x.Failure}");

    private static void Row(string name, List<SimResult> native, List<SimResult> plugin, Func<SimResult, double> f, string format)
    {
        double a = Median(native, f);
        string line = $"{name,-26}{a.ToString(format, CultureInfo.InvariantCulture),12}";
        if (plugin.Count > 0)
        {
            double b = Median(plugin, f);
            string ratio = a > 0 && !double.IsNaN(a) && !double.IsNaN(b) ? (b / a).ToString("F2", CultureInfo.InvariantCulture) + "x" : "-";
            line += $"{b.ToString(format, CultureInfo.InvariantCulture),12}{ratio,16}";
        }
        Console.WriteLine(line);
    }

    private static double Median(List<SimResult> xs, Func<SimResult, double> f)
    {
        var v = xs.Where(x => x.Completed).Select(f).Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string ReadBounded(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new IOException("no such file");
        if (info.Length > SimScenario.MaxFileBytes) throw new FormatException($"larger than {SimScenario.MaxFileBytes} bytes: not a scenario");
        return File.ReadAllText(path);
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine("pliant sim: " + message);
        return ExitCodes.Usage;
    }
}
