namespace Pliant.Fuzz;

/// <summary>Every fuzz target by name.</summary>
public static class FuzzTargets
{
    /// <summary>All targets, in the order docs/fuzzing.md lists them.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new Quic.EndpointTarget(),
        new Quic.EndpointInitialTarget(),
        new Quic.Endpoint1RttTarget(),
        new Quic.TlsServerTarget(),
        new Quic.TlsClientTarget(),
        new Quic.TransportParametersTarget(),
        new Http3.QpackTarget(),
        new Http3.Http3ServerTarget(),
        new Plugins.PluginExchangeTarget(),
        new Wasm.WasmTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
