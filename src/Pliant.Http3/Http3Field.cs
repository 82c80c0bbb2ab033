namespace Pliant.Http3;

/// <summary>One field line (name, value) of an HTTP/3 field section; names are lowercase.</summary>
public readonly record struct Http3Field(string Name, string Value)
{
    /// <summary>RFC 9114 §4.2.2: name + value octets + 32 bytes of overhead.</summary>
    public long Size => System.Text.Encoding.Latin1.GetByteCount(Name) + System.Text.Encoding.Latin1.GetByteCount(Value) + 32L;
}
