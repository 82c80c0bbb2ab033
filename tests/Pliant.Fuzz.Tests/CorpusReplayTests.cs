namespace Pliant.Fuzz.Tests;

/// <summary>
/// Replays every committed corpus and crash file (fuzz/corpus/TARGET, fuzz/crashes/TARGET) through the
/// same target code AFL++ runs, uninstrumented: no unexpected exception type, no hang. A crash file stays
/// in the repo after its fix, so this is also the regression test for every fuzzer finding.
/// </summary>
public class CorpusReplayTests
{
    /// <summary>Per file, far above the few ms a run takes: only a hang reaches it.</summary>
    private static readonly TimeSpan s_perFile = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var t in FuzzTargets.All) data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void CorpusReplaysCleanly(string target) => Replay(target, "corpus");

    [Theory]
    [MemberData(nameof(Targets))]
    public void CrashesStayFixed(string target) => Replay(target, "crashes");

    [Fact]
    public void EveryTargetHasACommittedCorpus()
    {
        foreach (var t in FuzzTargets.All)
            Assert.True(FuzzFiles.Of(t.Name, "corpus").Count > 0, $"fuzz/corpus/{t.Name} is empty");
    }

    [Fact]
    public void CorpusStaysSmall()
    {
        // docs/fuzzing.md: minimised, at most a few hundred files per target, none huge.
        foreach (var t in FuzzTargets.All)
        {
            var files = FuzzFiles.Of(t.Name, "corpus");
            Assert.True(files.Count <= 400, $"fuzz/corpus/{t.Name} has {files.Count} files");
            foreach (var f in files) Assert.True(new FileInfo(f).Length <= 64 * 1024, $"{f} is larger than 64 KiB");
        }
    }

    private static void Replay(string name, string kind)
    {
        var target = FuzzTargets.Find(name)!;
        var failures = new List<string>();
        foreach (string file in FuzzFiles.Of(name, kind))
        {
            byte[] input = File.ReadAllBytes(file);
            var run = Task.Run(() => target.Run(input));
            try
            {
                if (!run.Wait(s_perFile)) failures.Add($"{Path.GetFileName(file)}: no result within {s_perFile.TotalSeconds} s (hang)");
            }
            catch (AggregateException e)
            {
                var inner = e.InnerException!;
                failures.Add($"{Path.GetFileName(file)}: {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
            }
        }
        Assert.True(failures.Count == 0, $"fuzz/{kind}/{name}: {failures.Count} failing input(s)\n" + string.Join("\n", failures));
    }
}
