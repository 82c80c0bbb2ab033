namespace Pliant.Fuzz;

/// <summary>
/// One fuzz target: a function of arbitrary bytes that drives one parser or state machine. The
/// exceptions its code is documented to throw for bad input are caught here; anything else (an
/// <see cref="IndexOutOfRangeException"/>, <see cref="NullReferenceException"/>, an exception of the
/// wrong type, a hang, a stack overflow, running out of memory) escapes, and the fuzzer records it
/// as a crash. The same code runs under AFL++ (instrumented) and in the replay tests (plain build).
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>Name used on the command line and as the corpus folder (fuzz/corpus/NAME).</summary>
    public abstract string Name { get; }

    /// <summary>One line for --help and docs/fuzzing.md.</summary>
    public abstract string Description { get; }

    /// <summary>Largest input worth trying (AFL++ ignores longer files when minimising).</summary>
    public virtual int MaxInputLength => 64 * 1024;

    /// <summary>Runs one input. Throws only when the code under test misbehaved.</summary>
    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputLength) input = input[..MaxInputLength];
        try
        {
            Execute(input);
        }
        catch (Exception e) when (IsExpected(e))
        {
            // A documented rejection of bad input.
        }
    }

    /// <summary>Feeds <paramref name="input"/> to the code under test.</summary>
    protected abstract void Execute(ReadOnlySpan<byte> input);

    /// <summary>True for the exception types the code under test may throw on hostile input.</summary>
    protected virtual bool IsExpected(Exception e) => false;

    /// <summary>Real inputs to start the corpus from (name, bytes), made from the libraries themselves.</summary>
    public abstract IEnumerable<(string Name, byte[] Data)> Seeds();
}

/// <summary>The code under test broke an invariant the harness checks (wrong result, not an exception).</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
