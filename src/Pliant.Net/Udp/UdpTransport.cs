using System.Net;
using System.Net.Sockets;
using Pliant.Net.Udp.Linux;

namespace Pliant.Net.Udp;

/// <summary>Picks the best socket for the platform.</summary>
internal static class UdpTransport
{
    /// <summary>
    /// Binds <paramref name="endPoint"/>: the libc socket (GSO/GRO/ECN) on Linux, else (or if
    /// <paramref name="forceManaged"/>) <see cref="ManagedUdpSocket"/>.
    /// </summary>
    public static IUdpTransport Bind(IPEndPoint endPoint, bool forceManaged = false)
    {
        if (!forceManaged && OperatingSystem.IsLinux())
        {
            try
            {
                return LinuxUdpSocket.Bind(endPoint);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or SocketException)
            {
                // libc unusable (unusual container / sandbox): fall through to the managed socket.
            }
        }
        return new ManagedUdpSocket(endPoint);
    }
}
