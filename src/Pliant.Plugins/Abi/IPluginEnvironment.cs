namespace Pliant.Plugins.Abi;

/// <summary>What a plugin instance can reach on its connection; implemented by the host's connection binding.</summary>
internal interface IPluginEnvironment
{
    /// <summary>Current time, µs.</summary>
    long NowUs { get; }

    /// <summary>Reads a <c>ConnectionField</c>; unknown ids read as 0.</summary>
    ulong GetField(int field);

    /// <summary>Writes a <c>ConnectionField</c>; false if unknown or read-only.</summary>
    bool TrySetField(int field, ulong value);

    /// <summary>Marks one frame of <paramref name="type"/> pending; false if the plugin did not declare it.</summary>
    bool ReserveFrame(ulong type);

    /// <summary>Arms a timer calling the plugin's on_timer export with <paramref name="id"/>.</summary>
    void SetTimer(long atUs, int id);

    /// <summary>Raises a plugin event on the connection.</summary>
    void EmitEvent(string text);

    /// <summary>A log line from the plugin.</summary>
    void Log(string text);

    /// <summary>Queues an unreliable datagram (RFC 9221); false if it cannot be sent.</summary>
    bool SendDatagram(ReadOnlySpan<byte> data);
}

/// <summary>An environment that reaches nothing: for inspection and calls outside a connection.</summary>
internal sealed class DetachedEnvironment : IPluginEnvironment
{
    public static readonly DetachedEnvironment Instance = new();
    public long NowUs => 0;
    public ulong GetField(int field) => 0;
    public bool TrySetField(int field, ulong value) => false;
    public bool ReserveFrame(ulong type) => false;
    public void SetTimer(long atUs, int id) { }
    public void EmitEvent(string text) { }
    public void Log(string text) { }
    public bool SendDatagram(ReadOnlySpan<byte> data) => false;
}
