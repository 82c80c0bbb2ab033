using Pliant.Quic.Recovery;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Connection;

/// <summary>Small conveniences the connection needs from the stream and recovery building blocks.</summary>
internal static class CoreExtensions
{
    extension(SendBuffer buffer)
    {
        /// <summary>True when new or lost data waits to be sent (CRYPTO has no flow control).</summary>
        public bool HasPendingData => buffer.HasDataToSend(ulong.MaxValue);

        /// <summary>Marks everything sent but not yet acknowledged for sending again (PTO probes).</summary>
        public void RequeueUnacknowledged()
        {
            ulong start = buffer.AckedPrefix, end = buffer.SentEnd;
            if (end > start) buffer.OnLost(start, (int)Math.Min(end - start, int.MaxValue), false);
        }
    }

    extension(AckTracker tracker)
    {
        /// <summary>True when an ACK frame must be sent now (RFC 9000 §13.2.1).</summary>
        public bool AckDue(long nowUs) => tracker.AckDeadlineUs is { } d && d <= nowUs;
    }
}
