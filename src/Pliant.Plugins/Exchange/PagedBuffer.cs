namespace Pliant.Plugins.Exchange;

/// <summary>
/// A module's bytes as they arrive, in pages of <see cref="PageSize"/> allocated when data first lands
/// in them: a transfer holds memory for what was sent, not for the length it announces. Not thread-safe.
/// </summary>
internal sealed class PagedBuffer(ulong total)
{
    /// <summary>Bytes per page.</summary>
    public const int PageSize = 4096;

    private readonly byte[]?[] _pages = new byte[]?[(int)((total + PageSize - 1) / PageSize)];

    /// <summary>The module's length.</summary>
    public ulong Total => total;

    /// <summary>Pages allocated so far.</summary>
    public int PagesAllocated { get; private set; }

    /// <summary>Bytes of pages allocated so far.</summary>
    public long AllocatedBytes => (long)PagesAllocated * PageSize;

    /// <summary>Pages a write of <paramref name="length"/> bytes at <paramref name="offset"/> would allocate.</summary>
    public int NewPagesFor(ulong offset, int length)
    {
        int n = 0;
        for (int p = (int)(offset / PageSize), last = (int)((offset + (ulong)length - 1) / PageSize); p <= last; p++)
            if (_pages[p] is null) n++;
        return n;
    }

    /// <summary>Copies <paramref name="data"/> to <paramref name="offset"/> (within <see cref="Total"/>), allocating pages as needed.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int p = (int)(offset / PageSize), at = (int)(offset % PageSize);
            if (_pages[p] is null)
            {
                _pages[p] = new byte[PageSize];
                PagesAllocated++;
            }
            int n = Math.Min(PageSize - at, data.Length);
            data[..n].CopyTo(_pages[p].AsSpan(at));
            data = data[n..];
            offset += (ulong)n;
        }
    }

    /// <summary>The whole module in one array (every page must be present).</summary>
    public byte[] ToArray()
    {
        var module = new byte[total];
        for (int p = 0; p < _pages.Length; p++)
        {
            int at = p * PageSize;
            _pages[p].AsSpan(0, Math.Min(PageSize, module.Length - at)).CopyTo(module.AsSpan(at));
        }
        return module;
    }
}
