namespace Pliant.Quic.Connection;

/// <summary>
/// The attach hook: something that owns a <see cref="QuicConnectionCore"/> and serialises every call into it
/// (Pliant.Net's <c>QuicConnection</c>, under its driver's lock) lets code running on another thread — a
/// plugin host attaching or detaching a plugin, a tool reading state — act on the core. Defined here so
/// that layers above the core (Pliant.Plugins) need not depend on the driver (DESIGN §1).
/// </summary>
public interface IConnectionCoreOwner
{
    /// <summary>
    /// Runs <paramref name="action"/> on the core, serialised with everything else the owner does to it, then
    /// lets the owner send what it queued.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is closed or has no core.</exception>
    T RunOnCore<T>(Func<QuicConnectionCore, T> action);
}
