namespace Pliant.Quic.Wire;

/// <summary>An inclusive range of acknowledged packet numbers.</summary>
public readonly record struct AckRange(ulong Smallest, ulong Largest);

/// <summary>ECN counts carried by ACK_ECN (RFC 9000 §19.3.2).</summary>
public readonly record struct EcnCounts(ulong Ect0, ulong Ect1, ulong Ce);
