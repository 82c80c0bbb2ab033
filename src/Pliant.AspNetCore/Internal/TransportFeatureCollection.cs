using System.Collections;
using Microsoft.AspNetCore.Http.Features;

namespace Pliant.AspNetCore.Internal;

/// <summary>
/// The feature collection of a transport connection or stream: the handful of features the transport
/// implements itself (a short array searched by type identity — Kestrel asks for them per stream), the
/// features Kestrel adds (a dictionary, created on first use), then a fallback collection (a stream
/// falls back to its connection's, as Kestrel's own transports do).
/// </summary>
internal sealed class TransportFeatureCollection : IFeatureCollection
{
    private readonly Type[] _types;
    private readonly object?[] _values;
    private readonly IFeatureCollection? _fallback;
    private Dictionary<Type, object>? _extra;
    private int _revision;

    public TransportFeatureCollection(IFeatureCollection? fallback, params (Type Type, object Value)[] own)
    {
        _fallback = fallback;
        _types = new Type[own.Length];
        _values = new object?[own.Length];
        for (int i = 0; i < own.Length; i++)
        {
            _types[i] = own[i].Type;
            _values[i] = own[i].Value;
        }
    }

    public bool IsReadOnly => false;

    public int Revision => _revision + (_fallback?.Revision ?? 0);

    public object? this[Type key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            for (int i = 0; i < _types.Length; i++)
                if (ReferenceEquals(_types[i], key)) return _values[i] ?? _fallback?[key];
            if (_extra is not null && _extra.TryGetValue(key, out var v)) return v;
            return _fallback?[key];
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            _revision++;
            for (int i = 0; i < _types.Length; i++)
            {
                if (ReferenceEquals(_types[i], key))
                {
                    _values[i] = value;
                    return;
                }
            }
            if (value is null) _extra?.Remove(key);
            else (_extra ??= [])[key] = value;
        }
    }

    public TFeature? Get<TFeature>() => (TFeature?)this[typeof(TFeature)];

    public void Set<TFeature>(TFeature? instance) => this[typeof(TFeature)] = instance;

    public IEnumerator<KeyValuePair<Type, object>> GetEnumerator()
    {
        var seen = new HashSet<Type>();
        for (int i = 0; i < _types.Length; i++)
        {
            if (_values[i] is { } v && seen.Add(_types[i])) yield return new(_types[i], v);
        }
        if (_extra is not null)
        {
            foreach (var kv in _extra)
                if (seen.Add(kv.Key)) yield return kv;
        }
        if (_fallback is not null)
        {
            foreach (var kv in _fallback)
                if (seen.Add(kv.Key)) yield return kv;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
