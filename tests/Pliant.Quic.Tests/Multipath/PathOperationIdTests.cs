using Pliant.Quic.Operations;

namespace Pliant.Quic.Tests.Multipath;

/// <summary>
/// Operations of recovery, ACK and congestion control carry the id of the path they concern (issue 15 item 1; ABI
/// <c>arg(5)</c>): on a two-path download the cc.* adapter, the per-packet observers and <c>recovery.detect_lost</c>
/// run on both paths with their own ids.
/// </summary>
public class PathOperationIdTests
{
    [Fact]
    public void EveryPathReportsItsOwnId()
    {
        var pair = MultipathSetup.Pair(121, MultipathSetup.Server(121));
        var (client, server) = MultipathSetup.Connect(pair, MultipathSetup.Client(121));
        MultipathSetup.OpenSecondPath(pair, client, server);
        pair.ClientToServer.LossRate = pair.ServerToClient.LossRate = 0.01;
        var seen = new Dictionary<string, HashSet<ulong>>();
        void Watch(OperationDefinition op, Anchor anchor)
        {
            var ids = seen[op.Name] = [];
            server.Operations.Attach(op, anchor, (ref OperationArgs a) => ids.Add(a.Path), "watch-" + op.Name);
        }
        Watch(OperationCatalog.CcOnPacketSent, Anchor.Post);
        Watch(OperationCatalog.CcOnAck, Anchor.Post);
        Watch(OperationCatalog.CcWindow, Anchor.Replace); // keeps the native answer
        Watch(OperationCatalog.PacketAfterSend, Anchor.Post);
        Watch(OperationCatalog.PacketOnAcked, Anchor.Post);
        Watch(OperationCatalog.PacketOnLost, Anchor.Post);
        Watch(OperationCatalog.PacketBeforeSend, Anchor.Post);
        Watch(OperationCatalog.RecoveryDetectLost, Anchor.Replace); // keeps the native answer
        // The receiver's ACK policy, per path.
        var acked = seen[OperationNames.AckShouldSendNow] = [];
        client.Operations.Attach(OperationCatalog.AckShouldSendNow, Anchor.Replace, (ref OperationArgs a) => acked.Add(a.Path), "watch-acks");
        MultipathSetup.Download(pair, client, server, 3 << 20, 121);
        foreach (var (name, ids) in seen)
            Assert.True(ids.SetEquals([0UL, 1UL]), $"{name}: path ids {string.Join(", ", ids)}");
    }
}
