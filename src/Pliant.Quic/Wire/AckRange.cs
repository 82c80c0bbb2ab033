namespace Pliant.Quic.Wire;

/// <summary>An inclusive range of acknowledged packet numbers (RFC 9000 §19.3.1).</summary>
public readonly record struct AckRange(ulong Smallest, ulong Largest);

/// <summary>The ECN counts of an ACK_ECN frame (RFC 9000 §19.3.2).</summary>
public readonly record struct EcnCounts(ulong Ect0, ulong Ect1, ulong Ce);
