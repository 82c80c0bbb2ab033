using Pliant.Http3;
using Pliant.Net;

namespace Pliant.Cli;

/// <summary>The CLI's name for <see cref="QuicH3Connection"/> (Pliant.Http3's adapter of a QuicConnection).</summary>
internal sealed class H3Adapter(QuicConnection connection) : QuicH3Connection(connection);
