using System.Runtime.Intrinsics;
using Pliant.Wasm.Spec;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Entry point of the test assembly when run as a program (the test runner never calls it):
/// <c>dotnet Pliant.Wasm.Tests.dll --spec DIR...</c> runs spec files and prints one line
/// "accelerated=B N passed, N failed, N skipped" — used by tests that need a process started with
/// other runtime settings (hardware intrinsics disabled).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "--spec") return 2;
        var results = new SpecRunner().RunAll(args[1..]);
        foreach (var f in results.SelectMany(r => r.Failures).Take(20)) Console.WriteLine(f);
        Console.WriteLine($"accelerated={Vector128.IsHardwareAccelerated} {results.Sum(r => r.Passed)} passed, {results.Sum(r => r.Failed)} failed, {results.Sum(r => r.Skipped)} skipped");
        return results.Sum(r => r.Failed) == 0 ? 0 : 1;
    }
}
