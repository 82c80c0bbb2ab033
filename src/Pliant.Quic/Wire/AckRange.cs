namespace Pliant.Quic.Wire;

public readonly record struct AckRange(ulong Smallest, ulong Largest);

public readonly record struct EcnCounts(ulong Ect0, ulong Ect1, ulong Ce);
