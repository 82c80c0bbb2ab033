namespace Pliant.Http3;

/// <summary>Options for <see cref="Http3ServerConnection"/>.</summary>
public sealed class Http3ServerOptions
{
    /// <summary>SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce; null = unlimited.</summary>
    public ulong? MaxFieldSectionSize { get; set; } = 64 * 1024;

    /// <summary>Largest non-DATA frame accepted.</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;
}
