using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;
using Pliant.Router.FirstFlight;

namespace Pliant.Router;

// First flights (issue 13 item 2): the client's Initial packets before any server-chosen connection ID
// exists. The router opens them (the Initial keys follow from the DCID, RFC 9001 §5.2), reassembles the
// ClientHello across packets (large hellos, e.g. with post-quantum key shares, span several datagrams that
// may come reordered or not at all), routes by its server name and ALPN, and remembers the DCID for the
// client's retransmissions and 0-RTT packets (RFC 9000 §7.2: the client keeps that DCID until the server's
// first Initial arrives). No state is kept for a datagram whose Initial does not open.
public sealed partial class QuicRouter
{
    /// <summary>Bytes accounted per pending flight on top of its datagrams and buffer (objects, list, table entry).</summary>
    internal const int PendingOverheadBytes = 512;

    private RouteResult RouteInitial(long nowUs, ReadOnlySpan<byte> datagram, in PacketHeader h, IPEndPoint client, EcnCodepoint ecn)
    {
        // RFC 9000 §14.1: a client pads every datagram with an Initial to 1200 bytes; a server drops smaller ones.
        if (datagram.Length < 1200) return Drop(DropReason.ShortInitial);
        var dcid = h.DestinationConnectionId;
        lock (_lock)
        {
            if (_firstFlights.TryGet(dcid, nowUs, out var known))
            {
                Statistics.CountFirstFlight();
                return RouteResult.To(known.Backend, RouteBasis.FirstFlight);
            }
            _pending.TryPeek(dcid, out var pending);
            var verdict = OpenInitials(datagram, h);
            if (verdict == InitialVerdict.ClientHello || (pending is not null && verdict == InitialVerdict.NoClientHello))
                FirstFlightObserver?.InitialReceived(dcid.Span, h, datagram.Length, client);
            if (verdict == InitialVerdict.ClientHello) return OnFirstFlightData(nowUs, datagram, dcid, client, ecn, h.Version, pending);
            if (pending is not null && verdict == InitialVerdict.NoClientHello) return HoldInPending(pending, dcid, datagram, client, ecn);
        }
        // Not a first flight: an Initial the client sends once it has the server's ID (ACKs, the rest of its
        // CRYPTO data) is protected with keys of its original DCID, not of this one.
        if (TryRouteByConnectionId(nowUs, h.DestinationConnectionId.Span, out var byId, out var basis))
        {
            ForgetFirstFlight(client, byId);
            return RouteResult.To(byId, basis);
        }
        return Drop(DropReason.JunkInitial);
    }

    /// <summary>
    /// Opens every Initial packet of the datagram (coalesced ones too, RFC 9000 §12.2) and records their CRYPTO
    /// data in <see cref="_capture"/>. The first packet's verdict counts; later packets that do not open are ignored.
    /// </summary>
    private InitialVerdict OpenInitials(ReadOnlySpan<byte> datagram, in PacketHeader first)
    {
        _capture.Clear();
        var verdict = _inspector.Inspect(datagram, first, _capture);
        if (verdict != InitialVerdict.ClientHello && verdict != InitialVerdict.NoClientHello) return verdict;
        int offset = first.PacketLength;
        for (int i = 0; i < 8 && offset < datagram.Length; i++)
        {
            var rest = datagram[offset..];
            if (!LenientHeader.TryParse(rest, out var next) || next.Type != PacketType.Initial ||
                next.DestinationConnectionId != first.DestinationConnectionId) break;
            var more = _inspector.Inspect(rest, next, _capture);
            if (more == InitialVerdict.ClientHello && verdict == InitialVerdict.NoClientHello) verdict = more;
            offset += next.PacketLength;
        }
        return verdict;
    }

    private RouteResult OnFirstFlightData(long nowUs, ReadOnlySpan<byte> datagram, ConnectionId dcid, IPEndPoint client, EcnCodepoint ecn,
        uint version, PendingFlight? pending)
    {
        var flight = pending ?? new PendingFlight(version, _limits.MaxClientHelloBytes, nowUs);
        int bufferBefore = flight.Assembly.BufferBytes;
        _capture.ReplayInto(flight.Assembly);
        switch (flight.Assembly.State)
        {
            case HelloState.Complete:
                return Decide(nowUs, flight, pending is not null, dcid, datagram, client, ecn);
            case HelloState.TooLarge:
                return Abandon(flight, pending is not null, dcid, DropReason.ClientHelloTooLarge);
            case HelloState.Malformed:
                return Abandon(flight, pending is not null, dcid, DropReason.BadClientHello);
        }
        if (pending is null)
        {
            flight.Bytes = PendingOverheadBytes;
            _pendingBytes += PendingOverheadBytes;
            _pending.Set(dcid, flight, nowUs);
        }
        _pendingBytes += flight.Assembly.BufferBytes - bufferBefore;
        flight.Bytes += flight.Assembly.BufferBytes - bufferBefore;
        return HoldInPending(flight, dcid, datagram, client, ecn);
    }

    /// <summary>Keeps a copy of the datagram with its flight (bounded per flight and in total: the oldest flights give way).</summary>
    private RouteResult HoldInPending(PendingFlight flight, ConnectionId dcid, ReadOnlySpan<byte> datagram, IPEndPoint client, EcnCodepoint ecn)
    {
        if (flight.Held.Count >= _limits.MaxHeldDatagramsPerFlight) return Drop(DropReason.FlightFull);
        flight.Held.Add((datagram.ToArray(), client, ecn));
        flight.Bytes += datagram.Length;
        _pendingBytes += datagram.Length;
        while (_pendingBytes > _limits.MaxPendingBytes && _pending.TryTakeOldest(out var oldDcid, out var old))
        {
            DropFlight(oldDcid, old);
            if (oldDcid == dcid) return RouteResult.Hold; // this very flight was the oldest: its datagrams are counted as dropped
        }
        return RouteResult.Hold;
    }

    private RouteResult Decide(long nowUs, PendingFlight flight, bool wasPending, ConnectionId dcid, ReadOnlySpan<byte> datagram,
        IPEndPoint client, EcnCodepoint ecn)
    {
        if (wasPending)
        {
            _pending.Remove(dcid);
            _pendingBytes -= flight.Bytes;
        }
        var hello = ClientHelloInfo.TryParse(flight.Assembly.Hello);
        if (hello is null) return DropHeldAnd(dcid, flight, DropReason.BadClientHello);
        if (hello.ServerName is null) Statistics.CountNoSni();
        var backend = _rules.Select(hello, Hash(dcid.Span), out var rule);
        if (backend is null) return DropHeldAnd(dcid, flight, DropReason.NoBackend);
        FirstFlightObserver?.Routed(dcid.Span, backend, rule, hello.ServerName, hello.ApplicationProtocols);
        backend.CountConnection();
        Statistics.CountHello();
        RememberFirstFlight(nowUs, dcid, backend, client);
        if (flight.Held.Count == 0) return RouteResult.To(backend, RouteBasis.ClientHello);
        // The ClientHello spanned datagrams: release them in the order they came, this one last.
        Statistics.CountSpanning();
        foreach (var (data, from, e) in flight.Held) _released.Enqueue(new HeldDatagram(data, from, e, backend));
        _released.Enqueue(new HeldDatagram(datagram.ToArray(), client, ecn, backend));
        return RouteResult.Hold;
    }

    private RouteResult Abandon(PendingFlight flight, bool wasPending, ConnectionId dcid, DropReason reason)
    {
        if (wasPending)
        {
            _pending.Remove(dcid);
            _pendingBytes -= flight.Bytes;
        }
        return DropHeldAnd(dcid, flight, reason);
    }

    /// <summary>Drops the flight's held datagrams and the current one, all under <paramref name="reason"/>.</summary>
    private RouteResult DropHeldAnd(ConnectionId dcid, PendingFlight flight, DropReason reason)
    {
        FirstFlightObserver?.Dropped(dcid.Span, reason);
        for (int i = 0; i < flight.Held.Count; i++) Statistics.Drop(reason);
        flight.Held.Clear();
        return Drop(reason);
    }

    private void DropFlight(ConnectionId dcid, PendingFlight flight)
    {
        FirstFlightObserver?.Dropped(dcid.Span, DropReason.FlightExpired);
        _pendingBytes -= flight.Bytes;
        for (int i = 0; i < flight.Held.Count; i++) Statistics.Drop(DropReason.FlightExpired);
        flight.Held.Clear();
    }

    private void OnPendingEvicted(ConnectionId dcid, PendingFlight flight) => DropFlight(dcid, flight);

    private RouteResult RouteZeroRtt(long nowUs, ReadOnlySpan<byte> datagram, in PacketHeader h, IPEndPoint client, EcnCodepoint ecn)
    {
        lock (_lock)
        {
            if (_firstFlights.TryGet(h.DestinationConnectionId, nowUs, out var route))
            {
                Statistics.CountFirstFlight();
                return RouteResult.To(route.Backend, RouteBasis.FirstFlight);
            }
            // 0-RTT can arrive before the end of a ClientHello that spans datagrams: it waits with it.
            if (_pending.TryPeek(h.DestinationConnectionId, out var pending)) return HoldInPending(pending, h.DestinationConnectionId, datagram, client, ecn);
        }
        if (TryRouteByConnectionId(nowUs, h.DestinationConnectionId.Span, out var byId, out var basis)) return RouteResult.To(byId, basis);
        return RouteByFourTupleOrDrop(client);
    }

    private void RememberFirstFlight(long nowUs, ConnectionId dcid, RouterBackend backend, IPEndPoint client)
    {
        if (_firstFlights.Set(dcid, new FirstFlightRoute(backend, client), nowUs)) Statistics.CountFirstFlightEviction();
        _firstFlightByClient[client] = dcid;
    }

    /// <summary>
    /// The client sent an Initial or Handshake packet to <paramref name="backend"/> by the server's connection ID: it
    /// has the server's first Initial and will not use its first DCID again (RFC 9000 §7.2), so that entry goes. A spoofed
    /// packet can only make the router forget early; the client's next Initial is then routed by its ClientHello
    /// again (to the same backend: the decision is deterministic).
    /// </summary>
    private void ForgetFirstFlight(IPEndPoint client, RouterBackend backend)
    {
        lock (_lock)
        {
            if (!_firstFlightByClient.TryGetValue(client, out var dcid)) return;
            if (_firstFlights.TryPeek(dcid, out var route) && route.Backend != backend) return;
            _firstFlightByClient.Remove(client);
            if (_firstFlights.Remove(dcid)) Statistics.CountFirstFlightCompleted();
        }
    }

    private void OnFirstFlightEvicted(ConnectionId dcid, FirstFlightRoute route)
    {
        if (_firstFlightByClient.TryGetValue(route.Client, out var d) && d == dcid) _firstFlightByClient.Remove(route.Client);
    }
}
