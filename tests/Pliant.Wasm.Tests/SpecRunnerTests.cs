using Pliant.Wasm.Spec;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>The harness on a hand-written wast2json file, so it is tested even without wabt.</summary>
public class SpecRunnerTests
{
    [Fact]
    public void RunsEveryCommandKind()
    {
        var dir = Directory.CreateTempSubdirectory("pliant-spec").FullName;
        try
        {
            var b = new ModuleBuilder();
            b.Func(b.Type([I32, I32], [I32]), [0x20, 0, 0x20, 1, 0x6D], export: "div");
            b.Func(b.Type([F32], [F32]), [0x20, 0, 0x20, 0, 0x92], export: "twice");
            b.Func(b.Type([], []), [0x10, 2], export: "rec");
            File.WriteAllBytes(Path.Combine(dir, "t.0.wasm"), b.Build());
            var user = new ModuleBuilder();
            user.ImportFunc("m", "div", user.Type([I32, I32], [I32]));
            File.WriteAllBytes(Path.Combine(dir, "t.1.wasm"), user.Build());
            var missing = new ModuleBuilder();
            missing.ImportFunc("nowhere", "f", missing.Type([], []));
            File.WriteAllBytes(Path.Combine(dir, "t.2.wasm"), missing.Build());
            File.WriteAllBytes(Path.Combine(dir, "t.3.wasm"), [0, 0x61, 0x73, 0x6D, 2, 0, 0, 0]);
            var invalid = new ModuleBuilder();
            invalid.Func(invalid.Type([], [I32]), [0x42, 0]);
            File.WriteAllBytes(Path.Combine(dir, "t.4.wasm"), invalid.Build());
            File.WriteAllText(Path.Combine(dir, "t.json"), """
            {"source_filename": "t.wast", "commands": [
              {"type": "module", "line": 1, "name": "$m", "filename": "t.0.wasm"},
              {"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "div", "args": [{"type": "i32", "value": "7"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "3"}]},
              {"type": "assert_return", "line": 3, "action": {"type": "invoke", "field": "div", "args": [{"type": "i32", "value": "4294967290"}, {"type": "i32", "value": "2"}]}, "expected": [{"type": "i32", "value": "4294967293"}]},
              {"type": "assert_return", "line": 4, "action": {"type": "invoke", "field": "twice", "args": [{"type": "f32", "value": "2143289344"}]}, "expected": [{"type": "f32", "value": "nan:canonical"}]},
              {"type": "assert_return", "line": 5, "action": {"type": "invoke", "field": "twice", "args": [{"type": "f32", "value": "2141192192"}]}, "expected": [{"type": "f32", "value": "nan:arithmetic"}]},
              {"type": "assert_trap", "line": 6, "action": {"type": "invoke", "field": "div", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "0"}]}, "text": "integer divide by zero", "expected": [{"type": "i32"}]},
              {"type": "assert_exhaustion", "line": 7, "action": {"type": "invoke", "field": "rec", "args": []}, "text": "call stack exhausted", "expected": []},
              {"type": "register", "line": 8, "name": "$m", "as": "m"},
              {"type": "module", "line": 9, "filename": "t.1.wasm"},
              {"type": "assert_unlinkable", "line": 10, "filename": "t.2.wasm", "text": "unknown import", "module_type": "binary"},
              {"type": "assert_malformed", "line": 11, "filename": "t.3.wasm", "text": "unknown binary version", "module_type": "binary"},
              {"type": "assert_invalid", "line": 12, "filename": "t.4.wasm", "text": "type mismatch", "module_type": "binary"},
              {"type": "assert_malformed", "line": 13, "filename": "t.5.wat", "text": "unexpected token", "module_type": "text"},
              {"type": "action", "line": 14, "action": {"type": "invoke", "module": "$m", "field": "div", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "1"}]}, "expected": [{"type": "i32"}]},
              {"type": "assert_return", "line": 15, "action": {"type": "invoke", "field": "div", "module": "$m", "args": [{"type": "i32", "value": "1"}, {"type": "i32", "value": "1"}]}, "expected": [{"type": "i32", "value": "2"}]}
            ]}
            """);
            var r = new SpecRunner().RunAll([dir]).Single();
            Assert.Equal(13, r.Passed);
            Assert.Equal(1, r.Skipped);
            Assert.Equal(1, r.Failed); // line 15 expects a wrong value on purpose
            Assert.Contains("t.json:15", r.Failures.Single());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
