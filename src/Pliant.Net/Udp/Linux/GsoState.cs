namespace Pliant.Net.Udp.Linux;

/// <summary>
/// Whether UDP_SEGMENT is in use. Starts on when the kernel accepted the socket option probe; the
/// first GSO send failing with EIO or EINVAL (driver or path without segmentation offload, e.g. some
/// tunnels and older kernels) turns it off for good and the batch is resent one datagram per call.
/// </summary>
internal sealed class GsoState
{
    /// <summary>UDP_MAX_SEGMENTS in the kernel.</summary>
    public const int KernelMaxSegments = 64;

    /// <summary>Bytes per GSO send: under the largest UDP payload over IPv4 (65,507).</summary>
    public const int MaxBatchBytes = 65_000;

    private volatile bool _enabled;

    public GsoState(bool supported) => _enabled = supported;

    public bool Enabled => _enabled;

    /// <summary>
    /// Called when a send with a UDP_SEGMENT cmsg failed with <paramref name="errno"/>. Returns true
    /// when GSO is now off and the caller should resend the batch without it.
    /// </summary>
    public bool OnGsoSendError(int errno)
    {
        if (errno is LibC.EIO or LibC.EINVAL or LibC.EOPNOTSUPP)
        {
            _enabled = false;
            return true;
        }
        return false;
    }
}
