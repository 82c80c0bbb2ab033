using Pliant.Wasm;

namespace Pliant.Fuzz.Wasm;

/// <summary>
/// The WebAssembly decoder and validator (<see cref="CompiledModule.DecodeAndValidate"/>, spec §5 and
/// §3). Bad input must be a <see cref="WasmException"/> (malformed or invalid).
/// </summary>
public sealed class WasmTarget : FuzzTarget
{
    public override string Name => "wasm";

    public override string Description => "WebAssembly decoder + validator (CompiledModule.DecodeAndValidate)";

    public override int MaxInputLength => 256 * 1024;

    protected override void Execute(ReadOnlySpan<byte> input) => CompiledModule.DecodeAndValidate(input.ToArray());

    protected override bool IsExpected(Exception e) => e is WasmException;

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        foreach (var path in SeedFiles.Under("plugins/out", "*.wasm"))
            yield return ("plugin-" + Path.GetFileNameWithoutExtension(path), File.ReadAllBytes(path));
        foreach (var path in SeedFiles.Under("artifacts/wasm-spec", "*.wasm"))
        {
            var info = new FileInfo(path);
            if (info.Length <= 16 * 1024) yield return ("spec-" + Path.GetFileNameWithoutExtension(path), File.ReadAllBytes(path));
        }
    }
}
