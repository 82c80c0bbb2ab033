using System.Globalization;
using System.Net;
using Pliant.Router;
using Pliant.Router.QuicLb;
using Pliant.Router.Rules;

namespace Pliant.Cli.Route;

/// <summary>
/// Turns <c>pliant route</c>'s options into a <see cref="QuicRouter"/>: one backend per distinct address, named by
/// the rules that point at it; a backend listed in the <c>--lb-config</c> file gets its server ID (routable without
/// state) and, with <c>"forwarding_header": true</c>, the forwarding header. Usage errors are <see cref="CliException"/>s.
/// </summary>
internal static class RouteSetup
{
    public sealed record Rule(string Kind, string Key, IPEndPoint Address);

    /// <summary>Parses <c>NAME=HOST:PORT</c> (or <c>PROTO=HOST:PORT</c>).</summary>
    public static (string Key, IPEndPoint Address) ParseAssignment(string option, string text)
    {
        int eq = text.LastIndexOf('=');
        if (eq <= 0 || eq == text.Length - 1) throw new CliException(ExitCodes.Usage, $"{option} takes NAME=HOST:PORT, not \"{text}\"");
        var address = ParseBackendAddress(option, text[(eq + 1)..]);
        return (text[..eq].Trim(), address);
    }

    public static IPEndPoint ParseBackendAddress(string option, string text)
    {
        if (!IPEndPoint.TryParse(text.Trim(), out var ep) || ep.Port == 0)
            throw new CliException(ExitCodes.Usage, $"{option}: \"{text}\" is not an IP address with a port (HOST:PORT)");
        return ep;
    }

    public static QuicRouter Build(IReadOnlyList<Rule> rules, QuicLbConfigFile? lb, RouterLimits limits, out IReadOnlyList<string> description)
    {
        var backends = new Dictionary<IPEndPoint, RouterBackend>();
        var names = new Dictionary<IPEndPoint, List<string>>();
        var lbByAddress = new Dictionary<IPEndPoint, QuicLbServerEntry>();
        if (lb is not null)
        {
            foreach (var s in lb.Servers)
            {
                if (lbByAddress.TryGetValue(s.Address, out var other) && other.ForwardingHeader != s.ForwardingHeader)
                    throw new CliException(ExitCodes.Usage, $"--lb-config: {s.Address} is listed with and without forwarding_header");
                lbByAddress[s.Address] = s;
            }
        }
        RouterBackend Backend(IPEndPoint address)
        {
            if (!backends.TryGetValue(address, out var b))
            {
                bool header = lbByAddress.TryGetValue(address, out var entry) && entry.ForwardingHeader;
                backends[address] = b = new RouterBackend(address, header);
                names[address] = [];
            }
            return b;
        }

        var routing = new RoutingRules();
        foreach (var r in rules)
        {
            var b = Backend(r.Address);
            try
            {
                switch (r.Kind)
                {
                    case "backend":
                        routing.AddName(r.Key, b);
                        names[r.Address].Add(r.Key);
                        break;
                    case "alpn":
                        routing.AddAlpn(r.Key, b);
                        names[r.Address].Add("alpn:" + r.Key);
                        break;
                    default:
                        routing.AddDefault(b);
                        names[r.Address].Add("default");
                        break;
                }
            }
            catch (ArgumentException e)
            {
                throw new CliException(ExitCodes.Usage, $"--{r.Kind} {r.Key}: {e.Message.Split(" (Parameter", 2)[0]}");
            }
        }

        QuicLbRouting? quicLb = null;
        if (lb is not null)
        {
            quicLb = new QuicLbRouting();
            foreach (var c in lb.Configurations) quicLb.AddConfiguration(c);
            foreach (var s in lb.Servers) quicLb.AddServer(s.ConfigId, s.ServerId, Backend(s.Address));
        }
        if (routing.IsEmpty && quicLb is null)
            throw new CliException(ExitCodes.Usage, "no backend: give --backend NAME=HOST:PORT, --alpn PROTO=HOST:PORT, --default HOST:PORT or --lb-config FILE");

        var list = backends.Values.ToList();
        var router = new QuicRouter(list, routing, quicLb, limits);
        var lines = new List<string>();
        foreach (var b in list)
        {
            string sid = lbByAddress.TryGetValue(b.Address, out var e)
                ? string.Create(CultureInfo.InvariantCulture, $" config_id={e.ConfigId} server_id={QuicLbConfigFile.ToHex(e.ServerId)}")
                : " (connection IDs learned)";
            lines.Add($"backend.{b.Index} {b.Address} {(b.ForwardingHeader ? "pliant (forwarding header)" : "foreign (flows)")}{sid} for {(names[b.Address].Count == 0 ? "its connection IDs only" : string.Join(", ", names[b.Address]))}");
        }
        description = lines;
        return router;
    }
}
