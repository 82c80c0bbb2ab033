using Pliant.Router.Restart;

namespace Pliant.Cli.Route;

/// <summary>
/// <c>pliant serve --key-file FILE --reuseport [--run-dir DIR] [--drain-timeout S]</c>: what a zero-downtime restart
/// needs (docs/routing.md, "Reuseport group").
/// </summary>
internal sealed record ServeRestart(string? KeyFile, bool ReusePort, string? RunDirectory, TimeSpan DrainTimeout)
{
    /// <summary>The shared keys of <see cref="KeyFile"/> (created if missing), or null without one.</summary>
    public ServerKeyFile? LoadKeys()
    {
        if (KeyFile is null) return null;
        try
        {
            return ServerKeyFile.LoadOrCreate(KeyFile);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, "--key-file " + e.Message);
        }
    }
}
