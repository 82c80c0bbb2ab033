namespace Pliant.Quic.Tls;

/// <summary>
/// Bounds on the lists a peer's handshake messages may carry. Real clients send about 20 extensions,
/// 1–3 key shares and a few dozen list entries; the bounds are several times that, so a legitimate
/// peer never meets them while a hostile one cannot make parsing cost more than O(bound). Each list is
/// also checked for duplicates in linear time (<see cref="U16Set"/>). Exceeding a bound is
/// illegal_parameter.
/// </summary>
internal static class TlsLimits
{
    /// <summary>Extensions in one message (RFC 8446 §4.2).</summary>
    public const int MaxExtensions = 128;

    /// <summary>KeyShareEntry items in a ClientHello (RFC 8446 §4.2.8).</summary>
    public const int MaxKeyShares = 16;

    /// <summary>Entries of a uint16 list: cipher_suites, supported_groups, signature_algorithms, supported_versions.</summary>
    public const int MaxListEntries = 256;

    /// <summary>ProtocolName entries in an ALPN list (RFC 7301 §3.1).</summary>
    public const int MaxAlpnProtocols = 64;

    /// <summary>PskIdentity entries in pre_shared_key (RFC 8446 §4.2.11).</summary>
    public const int MaxPskIdentities = 16;

    /// <summary>Throws illegal_parameter once <paramref name="count"/> passes <paramref name="max"/>.</summary>
    public static void Check(int count, int max, string what)
    {
        if (count > max) throw TlsAlert.Error(TlsAlert.IllegalParameter, $"{what}: more than {max} entries");
    }
}

/// <summary>A set of uint16 values as a 65,536-bit map (8 KiB): Add and Contains in O(1), no hashing.</summary>
internal ref struct U16Set
{
    private readonly Span<ulong> _bits;

    /// <param name="storage">1,024 words, e.g. <c>stackalloc ulong[U16Set.Words]</c>; cleared here.</param>
    public U16Set(Span<ulong> storage)
    {
        if (storage.Length < Words) throw new ArgumentException("the set needs 1024 words", nameof(storage));
        _bits = storage[..Words];
        _bits.Clear();
    }

    /// <summary>Words of storage needed.</summary>
    public const int Words = 65536 / 64;

    /// <summary>Adds <paramref name="value"/>; false when it was already present.</summary>
    public readonly bool Add(ushort value)
    {
        ref ulong word = ref _bits[value >> 6];
        ulong bit = 1UL << (value & 63);
        if ((word & bit) != 0) return false;
        word |= bit;
        return true;
    }

    /// <summary>True when <paramref name="value"/> was added.</summary>
    public readonly bool Contains(ushort value) => (_bits[value >> 6] & (1UL << (value & 63))) != 0;
}
