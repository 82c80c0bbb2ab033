using Pliant.Router.Restart;

namespace Pliant.Router.Tests.Restart;

/// <summary>
/// The key file shared by the generations of <c>pliant serve --reuseport</c>: created owner-only with fresh keys,
/// read back the same by every later process (also two creating it at once), refused when others can read it, and
/// every malformed file is a precise error.
/// </summary>
public sealed class ServerKeyFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pliant-keyfile-" + Guid.NewGuid().ToString("n"));

    public ServerKeyFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        return path;
    }

    private static readonly string Hex32 = new('a', 64), Hex32b = new('b', 64);

    [Fact]
    public void Missing_IsCreatedOwnerOnly_AndReadBackTheSame()
    {
        var path = Path.Combine(_dir, "keys");
        var created = ServerKeyFile.LoadOrCreate(path);
        Assert.True(created.Created);
        Assert.Equal(32, created.TicketKey.Length);
        Assert.Equal(32, created.StaticKey.Length);
        Assert.NotEqual(created.TicketKey, created.StaticKey);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var again = ServerKeyFile.LoadOrCreate(path);
        Assert.False(again.Created);
        Assert.Equal(created.TicketKey, again.TicketKey);
        Assert.Equal(created.StaticKey, again.StaticKey);
        Assert.Single(Directory.GetFiles(_dir)); // no temporary file left
    }

    [Fact]
    public void TwoProcessesCreatingAtOnce_GetOneFile()
    {
        var path = Path.Combine(_dir, "keys");
        var results = new ServerKeyFile[8];
        Parallel.For(0, results.Length, i => results[i] = ServerKeyFile.LoadOrCreate(path));
        Assert.All(results, r => Assert.Equal(results[0].TicketKey, r.TicketKey));
        Assert.All(results, r => Assert.Equal(results[0].StaticKey, r.StaticKey));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void ConcurrentCallsInOneProcess_GetOneFile()
    {
        // Many racing calls of one process (same PID): each writes its own temporary file.
        for (int round = 0; round < 20; round++)
        {
            var path = Path.Combine(_dir, $"keys{round}");
            var results = new ServerKeyFile[16];
            Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => results[i] = ServerKeyFile.LoadOrCreate(path));
            Assert.All(results, r => Assert.Equal(results[0].TicketKey, r.TicketKey));
            Assert.Single(results, r => r.Created);
        }
        Assert.Equal(20, Directory.GetFiles(_dir).Length); // no temporary file left
    }

    [Fact]
    public void AStaleTemporaryOfThisPid_DoesNotBlockCreation()
    {
        // A crashed process left its temporary; a new process got the same PID.
        var path = Path.Combine(_dir, "keys");
        File.WriteAllText(path + ".tmp." + Environment.ProcessId, "half a file");
        var created = ServerKeyFile.LoadOrCreate(path);
        Assert.True(created.Created);
        Assert.Equal(created.TicketKey, ServerKeyFile.Load(path).TicketKey);
    }

    [Fact]
    public void AFileOthersCanRead_IsRefused()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = Write("keys", $"ticket={Hex32}\nstatic={Hex32b}\n", (UnixFileMode)0b110_100_100);
        var e = Assert.Throws<InvalidDataException>(() => ServerKeyFile.LoadOrCreate(path));
        Assert.Contains("chmod 600", e.Message);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_000); // group-writable
        Assert.Throws<InvalidDataException>(() => ServerKeyFile.Load(path));
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_000); // group-readable: a service group may share it
        Assert.Equal(Convert.FromHexString(Hex32), ServerKeyFile.Load(path).TicketKey);
    }

    [Theory]
    [InlineData("ticket=zz\nstatic=aa\n", "must be hex")]
    [InlineData("ticket=aabb\n", "32 bytes")]
    [InlineData("# only a comment\n", "needs both")]
    [InlineData("ticket=A\n", "must be hex")]
    [InlineData("other=AA\n", "unknown or repeated")]
    [InlineData("ticket=T\nticket=T\nstatic=S\n", "unknown or repeated")]
    public void MalformedFiles_AreRefusedPrecisely(string text, string expected)
    {
        text = text.Replace("=T", "=" + Hex32).Replace("=S", "=" + Hex32b).Replace("=A\n", "=" + Hex32 + "g\n").Replace("=AA", "=" + Hex32);
        var path = Write("keys", text);
        var e = Assert.Throws<InvalidDataException>(() => ServerKeyFile.Load(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AnOversizedFile_IsRefusedWithoutReadingIt()
    {
        var path = Write("keys", $"ticket={Hex32}\nstatic={Hex32b}\n" + new string('#', 70_000));
        var e = Assert.Throws<InvalidDataException>(() => ServerKeyFile.Load(path));
        Assert.Contains("larger than", e.Message);
    }
}
