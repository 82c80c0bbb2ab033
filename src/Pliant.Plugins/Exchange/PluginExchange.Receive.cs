using Pliant.Plugins.Trust;
using Pliant.Quic;

namespace Pliant.Plugins.Exchange;

public sealed partial class PluginExchange
{
    /// <summary>
    /// Allocated pages a transfer may hold beyond twice the bytes it received: chunks scattered over
    /// the module (1 byte per page, say) are refused once they pass it.
    /// </summary>
    internal const long SparseAllowance = 64 << 10;

    private BudgetLease? _lease;
    private long _reassemblyBytes;

    /// <summary>Modules being received now.</summary>
    public int TransfersInProgress => _receiving.Count;

    /// <summary>
    /// Bytes this connection holds for modules being received (pages allocated) or loaded (the module):
    /// at most <see cref="PluginExchangeOptions.MaxReassemblyBytes"/>.
    /// </summary>
    public long ReassemblyBytes => _reassemblyBytes;

    /// <summary>
    /// Processes one PLUGIN frame (type already consumed); returns bytes consumed. Throws
    /// FRAME_ENCODING_ERROR for a malformed frame and PROTOCOL_VIOLATION when we never said we accept
    /// pushes, or for frames of more than 64 unannounced modules. Every other problem refuses the
    /// module (a plugin event) and drops what was buffered for it; its later chunks are ignored.
    /// <para>Cost per frame: a dictionary lookup, a binary search over at most
    /// <see cref="PluginExchangeOptions.MaxReassemblyRanges"/> ranges and the copy of its data.</para>
    /// </summary>
    public int Process(ReadOnlySpan<byte> afterType, long nowUs)
    {
        var frame = PluginFrame.Read(afterType, out int consumed);
        if (!_options.AcceptsPushes)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "PLUGIN frame but we do not accept pushed plugins", ExchangeWire.PluginFrameType);
        if (_closed) return consumed; // a closing connection may still read packets: keep nothing for them
        Activate();
        var hash = ContentHash.From(frame.Hash);
        if (_finished.Contains(hash)) return consumed; // retransmission, or a module already refused
        if (!_receiving.TryGetValue(hash, out var r))
        {
            r = StartTransfer(hash, frame.TotalLength, nowUs);
            if (r is null) return consumed;
        }
        if (frame.TotalLength != r.Buffer.Total)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "PLUGIN frame: module length changed", ExchangeWire.PluginFrameType);
        if (AddChunk(r, frame.Offset, frame.Data, nowUs) && r.IsComplete)
        {
            _receiving.Remove(hash);
            _finished.Add(hash);
            Complete(r);
        }
        return consumed;
    }

    /// <summary>The first chunk of a module: admits the transfer or refuses the module (null).</summary>
    private Reassembly? StartTransfer(ContentHash hash, ulong total, long nowUs)
    {
        if (!_announcedByPeer.TryGetValue(hash, out var announced))
        {
            // Nothing is buffered for a module the peer did not announce in plugins_for_you; a peer
            // that keeps sending such frames is misbehaving, not unlucky.
            if (++_unannounced > ExchangeWire.MaxReferences)
                throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "too many unannounced plugins in PLUGIN frames", ExchangeWire.PluginFrameType);
            string hex = hash.ToHex();
            Refuse(hash, new PluginReference(hex[..16], hex), "not announced in the peer's plugins_for_you");
            return null;
        }
        var policy = _options.TrustPolicy!;
        if (total > (ulong)policy.MaxModuleSize)
        {
            Refuse(hash, announced, $"module of {total} bytes exceeds the {policy.MaxModuleSize}-byte limit");
            return null;
        }
        if (PagesFor(total) > _options.MaxReassemblyBytes)
        {
            Refuse(hash, announced, $"module of {total} bytes exceeds the per-connection reassembly cap of {_options.MaxReassemblyBytes} bytes");
            return null;
        }
        if (_receiving.Count >= _options.MaxConcurrentReceives)
        {
            Refuse(hash, announced, $"more than {_options.MaxConcurrentReceives} modules in transfer at once");
            return null;
        }
        var r = new Reassembly(announced, hash, total, _options.MaxReassemblyRanges, nowUs);
        _receiving[hash] = r;
        ScheduleTick(nowUs + (long)_options.ReassemblyIdleTimeout.TotalMicroseconds);
        return r;
    }

    /// <summary>Bytes of pages a module of <paramref name="total"/> bytes needs.</summary>
    private static long PagesFor(ulong total) => (long)((total + PagedBuffer.PageSize - 1) / PagedBuffer.PageSize) * PagedBuffer.PageSize;

    /// <summary>
    /// Stores one chunk within the caps; on exceeding one, refuses the module, frees its pages and
    /// returns false. The checks come before any page is allocated.
    /// </summary>
    private bool AddChunk(Reassembly r, ulong offset, ReadOnlySpan<byte> data, long nowUs)
    {
        long added = r.Ranges.Add(offset, offset + (ulong)data.Length);
        if (added < 0)
            return Drop(r, $"chunks arrived in more than {_options.MaxReassemblyRanges} separate ranges");
        long need = (long)r.Buffer.NewPagesFor(offset, data.Length) * PagedBuffer.PageSize;
        if (need > 0)
        {
            if (r.Buffer.AllocatedBytes + need > 2 * (long)r.Ranges.Covered + SparseAllowance)
                return Drop(r, $"chunks too sparse: {r.Ranges.Covered} bytes received would hold {r.Buffer.AllocatedBytes + need} bytes of pages");
            if (_reassemblyBytes + need > _options.MaxReassemblyBytes)
                return Drop(r, $"reassembly would exceed the per-connection cap of {_options.MaxReassemblyBytes} bytes");
            _lease ??= new BudgetLease(_options.TransferBudget);
            if (!_lease.TryReserve(need))
                return Drop(r, $"reassembly would exceed the process-wide cap of {_options.TransferBudget.MaxBytes} bytes");
            _reassemblyBytes += need;
            r.Reserved += need;
        }
        r.Buffer.Write(offset, data);
        if (added > 0) r.LastProgressUs = nowUs;
        return true;
    }

    /// <summary>Refuses a module in transfer: its pages and reservations are released. Returns false.</summary>
    private bool Drop(Reassembly r, string reason)
    {
        _receiving.Remove(r.Hash);
        Release(r.Reserved);
        r.Reserved = 0;
        Refuse(r.Hash, r.Reference, reason);
        return false;
    }

    /// <summary>Gives back bytes of the connection's cap and of the shared budget.</summary>
    private void Release(long bytes)
    {
        if (bytes <= 0) return;
        _reassemblyBytes -= bytes;
        _lease!.Release(bytes);
    }

    /// <summary>All chunks are in: the module moves from its pages to one array, which keeps its reservation until it is loaded.</summary>
    private void Complete(Reassembly r)
    {
        byte[] module = r.Buffer.ToArray();
        long keep = Math.Min(r.Reserved, module.Length);
        Release(r.Reserved - keep);
        byte[] actual;
        try { actual = PluginHash.Compute(module); }
        catch (FormatException e) { Release(keep); Refuse(r.Hash, r.Reference, $"malformed module: {e.Message}"); return; }
        if (ContentHash.From(actual) != r.Hash) { Release(keep); Refuse(r.Hash, r.Reference, "content does not match the announced SHA-256"); return; }
        Admit(r.Reference, module, keep);
    }

    /// <summary>Records a refusal: later chunks of the module are ignored, an outcome and a plugin event say why.</summary>
    private void Refuse(ContentHash hash, PluginReference reference, string reason)
    {
        _finished.Add(hash);
        _outcomes.Add(new PluginExchangeOutcome(reference, false, reason));
        _connection.RaisePluginEvent(reference.Id, $"refused: {reason}");
    }

    /// <summary>Refuses transfers that received nothing new for <see cref="PluginExchangeOptions.ReassemblyIdleTimeout"/>.</summary>
    private void DropStalledTransfers(long nowUs)
    {
        long timeout = (long)_options.ReassemblyIdleTimeout.TotalMicroseconds;
        List<Reassembly>? stalled = null;
        foreach (var r in _receiving.Values)
            if (nowUs - r.LastProgressUs >= timeout) (stalled ??= []).Add(r);
        if (stalled is null) return;
        foreach (var r in stalled) Drop(r, $"transfer stalled: no new data for {_options.ReassemblyIdleTimeout.TotalSeconds:0.#} s");
    }

    /// <summary>
    /// The connection closed: every transfer and load in progress is abandoned and its bytes go back
    /// to the shared budget. Called by the adapter <see cref="Attach"/> installs; idempotent.
    /// </summary>
    public void OnConnectionClosed()
    {
        _closed = true;
        _receiving.Clear();
        _loading.Clear();
        _reassemblyBytes = 0;
        _lease?.ReleaseAll();
        CancelTick();
    }
}
