using System.Net;

namespace Pliant.Quic.Connection;

/// <summary>
/// Anti-amplification accounting (RFC 9000 §8, §9.3) for addresses other than the connection's
/// current path: bytes received from and sent to each of the few most recent ones. Before an
/// address is validated, at most three times what it sent may be sent to it — PATH_RESPONSE
/// included (§8.2.2) — however many such addresses a peer (or an attacker spoofing them) uses.
/// Fixed size: the oldest entry is forgotten, and with it the credit it had (never more credit).
/// </summary>
internal sealed class AddressCredits
{
    /// <summary>Addresses remembered at once.</summary>
    public const int Capacity = 8;

    private readonly (IPEndPoint? Address, long Received, long Sent, long Stamp)[] _entries = new (IPEndPoint?, long, long, long)[Capacity];
    private long _stamp;

    /// <summary>Counts a datagram of <paramref name="bytes"/> received from <paramref name="address"/>.</summary>
    public void AddReceived(IPEndPoint address, long bytes) => _entries[Slot(address)].Received += bytes;

    /// <summary>Counts <paramref name="bytes"/> sent to <paramref name="address"/>.</summary>
    public void AddSent(IPEndPoint address, long bytes) => _entries[Slot(address)].Sent += bytes;

    /// <summary>Records the totals of an address that stops being the current path (its ledger moves here).</summary>
    public void Set(IPEndPoint address, long received, long sent)
    {
        int i = Slot(address);
        _entries[i].Received = received;
        _entries[i].Sent = sent;
    }

    /// <summary>Bytes that may still be sent to <paramref name="address"/> (0 for an address never heard from).</summary>
    public long Allowance(IPEndPoint address)
    {
        int i = IndexOf(address);
        return i < 0 ? 0 : Math.Max(0, 3 * _entries[i].Received - _entries[i].Sent);
    }

    /// <summary>What was received from and sent to <paramref name="address"/> so far (zeros if unknown).</summary>
    public (long Received, long Sent) Get(IPEndPoint address)
    {
        int i = IndexOf(address);
        return i < 0 ? (0, 0) : (_entries[i].Received, _entries[i].Sent);
    }

    private int IndexOf(IPEndPoint address)
    {
        for (int i = 0; i < _entries.Length; i++)
        {
            var a = _entries[i].Address;
            if (a is not null && (ReferenceEquals(a, address) || a.Equals(address))) return i;
        }
        return -1;
    }

    /// <summary>The entry of <paramref name="address"/>, made (in a free or the least recently used slot) if needed.</summary>
    private int Slot(IPEndPoint address)
    {
        int i = IndexOf(address);
        if (i < 0)
        {
            i = 0;
            for (int j = 1; j < _entries.Length && _entries[i].Address is not null; j++)
                if (_entries[j].Address is null || _entries[j].Stamp < _entries[i].Stamp) i = j;
            _entries[i] = (address, 0, 0, 0);
        }
        _entries[i].Stamp = ++_stamp;
        return i;
    }
}
