using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Pliant.AspNetCore.Internal;

/// <summary>The features Kestrel's HTTP/3 layer asks a QUIC stream for.</summary>
internal sealed partial class PliantStreamContext :
    IStreamDirectionFeature,
    IStreamIdFeature,
    IStreamAbortFeature,
    IStreamClosedFeature,
    IProtocolErrorCodeFeature,
    IPersistentStateFeature,
    IConnectionIdFeature,
    IConnectionItemsFeature,
    IConnectionLifetimeFeature,
    IConnectionTransportFeature,
    IMemoryPoolFeature,
    IEarlyDataFeature
{
    private IDictionary<object, object?>? _persistentState;
    private bool _earlyData;

    private TransportFeatureCollection CreateFeatures(IFeatureCollection connectionFeatures) => new(connectionFeatures,
        (typeof(IStreamDirectionFeature), this),
        (typeof(IStreamIdFeature), this),
        (typeof(IStreamAbortFeature), this),
        (typeof(IStreamClosedFeature), this),
        (typeof(IProtocolErrorCodeFeature), this),
        (typeof(IPersistentStateFeature), this),
        (typeof(IConnectionIdFeature), this),
        (typeof(IConnectionItemsFeature), this),
        (typeof(IConnectionLifetimeFeature), this),
        (typeof(IConnectionTransportFeature), this),
        (typeof(IMemoryPoolFeature), this),
        (typeof(IEarlyDataFeature), this));

    public bool CanRead { get; }

    public bool CanWrite { get; }

    public long StreamId { get; }

    /// <summary>The error code aborts use (RFC 9114 §8.1); -1 until set. QUIC error codes are 62-bit (RFC 9000 §20.2).</summary>
    public long Error
    {
        get => _error ?? -1;
        set
        {
            ValidateErrorCode(value);
            _error = value;
        }
    }

    internal static void ValidateErrorCode(long code)
    {
        if (code is < 0 or > (1L << 62) - 1)
            throw new ArgumentOutOfRangeException(nameof(code), code, "A QUIC error code is between 0 and 2^62-1.");
    }

    IDictionary<object, object?> IPersistentStateFeature.State => _persistentState ??= new Dictionary<object, object?>();

    MemoryPool<byte> IMemoryPoolFeature.MemoryPool => MemoryPool<byte>.Shared;

    /// <summary>Sticky: once a stream is known to hold 0-RTT data it stays marked (QuicStream.ReceivedEarlyData).</summary>
    public bool IsEarlyData => _earlyData || (_earlyData = _stream.ReceivedEarlyData);

    public void AbortRead(long errorCode, ConnectionAbortedException abortReason)
    {
        ValidateErrorCode(errorCode);
        if (!CanRead) throw new InvalidOperationException("This stream cannot be read.");
        lock (_gate)
        {
            if (_disposed != 0) return;
            _readAbortReason ??= abortReason;
        }
        _stream.Abort(Net.QuicAbortDirection.Read, errorCode);
    }

    public void AbortWrite(long errorCode, ConnectionAbortedException abortReason)
    {
        ValidateErrorCode(errorCode);
        if (!CanWrite) throw new InvalidOperationException("This stream cannot be written.");
        bool wake;
        lock (_gate)
        {
            if (_disposed != 0) return;
            _writeAbortReason ??= abortReason;
            wake = _sending;
        }
        _stream.Abort(Net.QuicAbortDirection.Write, errorCode);
        if (wake) _application.Input.CancelPendingRead();
    }

    void IStreamClosedFeature.OnClosed(Action<object?> callback, object? state)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                (_onClosed ??= []).Add((callback, state));
                return;
            }
        }
        callback(state);
    }
}
