using BenchmarkDotNet.Running;

namespace Pliant.Benchmarks;

/// <summary>Runs the micro-benchmarks; pass BenchmarkDotNet arguments (e.g. --filter *Ack*, --job short).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
