using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pliant.Interop.Tests.Harness;

/// <summary>UDP ports on 127.0.0.1 for peers, and a check that a peer has bound its port.</summary>
public static class FreePort
{
    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago (the OS picks it).</summary>
    public static int Udp()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>True when some socket is bound to UDP <paramref name="port"/> (IPv4 or IPv6), read from /proc/net/udp*, without touching the port.</summary>
    public static bool IsUdpBound(int port)
    {
        var hex = ":" + port.ToString("X4", CultureInfo.InvariantCulture) + " ";
        foreach (var table in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // "  sl  local_address rem_address ..." -> local_address is the second column
                var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length > 1 && (cols[1] + " ").EndsWith(hex, StringComparison.Ordinal)) return true;
            }
        }
        return false;
    }

    /// <summary>Waits until <paramref name="port"/> is bound or <paramref name="server"/> exits; false on timeout or exit.</summary>
    public static async Task<bool> WaitUntilBoundAsync(int port, PeerProcess server, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (IsUdpBound(port)) return true;
            if (server.HasExited) return false;
            await Task.Delay(50);
        }
        return false;
    }
}
