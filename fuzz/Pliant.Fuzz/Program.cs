using Pliant.Fuzz;

// pliant-fuzz: the AFL++ entry point for Pliant's fuzz targets (run by scripts/fuzz.sh on an
// instrumented copy), plus seed generation and replay for reproducing a crash without AFL++.
const string Usage = """
    Usage:
      pliant-fuzz list                       targets and what each drives
      pliant-fuzz run TARGET                 the AFL++ fork-server loop (afl-fuzz ... -- pliant-fuzz run TARGET)
      pliant-fuzz seed TARGET DIR            write the target's seed inputs into DIR
      pliant-fuzz replay TARGET PATH...      run files (or every file in folders) once each; prints each
                                             unexpected exception with its stack; exit 1 if any
      pliant-fuzz time TARGET DIR [N]        run every file in DIR N times (default 20), print runs per second
                                             (uninstrumented: the ceiling for afl-fuzz's exec/s)
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}
if (args[0] == "list")
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-18} {t.Description}");
    return 0;
}
if (args.Length < 2 || FuzzTargets.Find(args[1]) is not { } target)
{
    Console.Error.WriteLine(args.Length < 2 ? Usage : $"pliant-fuzz: unknown target '{args[1]}' (see 'pliant-fuzz list')");
    return 2;
}
switch (args[0])
{
    case "run":
    {
        var buffer = new byte[target.MaxInputLength];
        SharpFuzz.Fuzzer.Run(stream =>
        {
            int n = 0, read;
            while (n < buffer.Length && (read = stream.Read(buffer, n, buffer.Length - n)) > 0) n += read;
            target.Run(buffer.AsSpan(0, n));
        });
        return 0;
    }
    case "seed" when args.Length == 3:
    {
        Directory.CreateDirectory(args[2]);
        int count = 0;
        foreach (var (name, data) in target.Seeds())
        {
            File.WriteAllBytes(Path.Combine(args[2], name), data);
            count++;
        }
        Console.WriteLine($"{target.Name}: {count} seed(s) in {args[2]}");
        return 0;
    }
    case "replay" when args.Length >= 3:
    {
        int failures = 0, files = 0;
        foreach (string path in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
        {
            files++;
            try
            {
                target.Run(File.ReadAllBytes(path));
            }
#pragma warning disable CA1031 // reporting every failure is the point
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures++;
                Console.WriteLine($"CRASH {path}\n{e}\n");
            }
        }
        Console.WriteLine($"{target.Name}: {files} file(s), {failures} crash(es)");
        return failures == 0 ? 0 : 1;
    }
    case "time" when args.Length >= 3:
    {
        var inputs = Directory.GetFiles(args[2]).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        int rounds = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20;
        foreach (var input in inputs) Run(target, input); // warm up the JIT
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++)
            foreach (var input in inputs) Run(target, input);
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{target.Name}: {rounds * inputs.Count} runs in {seconds:F2} s = {rounds * inputs.Count / seconds:F0} runs/s");
        return 0;
    }
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

// A run that throws is counted like any other: timing is about speed, replay is about crashes.
static void Run(FuzzTarget target, byte[] input)
{
    try
    {
        target.Run(input);
    }
#pragma warning disable CA1031
    catch (Exception)
#pragma warning restore CA1031
    {
    }
}
