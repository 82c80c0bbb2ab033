namespace Pliant.AspNetCore.Internal;

/// <summary>What every stream of one endpoint shares, resolved once from the options and Kestrel's limits.</summary>
internal sealed record StreamSettings(long MaxReadBufferSize, long MaxWriteBufferSize, long DefaultStreamErrorCode, long DefaultCloseErrorCode);
