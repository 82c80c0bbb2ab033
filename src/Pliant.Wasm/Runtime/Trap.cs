using System.Diagnostics.CodeAnalysis;

namespace Pliant.Wasm.Runtime;

/// <summary>Throws traps with the spec's messages. Called from generated code.</summary>
public static class Trap
{
#pragma warning disable CS1591
    [DoesNotReturn] public static void Throw(string message) => throw new WasmTrapException(message);
    [DoesNotReturn] public static void Unreachable() => throw new WasmTrapException("unreachable");
    [DoesNotReturn] public static void OutOfBounds() => throw new WasmTrapException("out of bounds memory access");
    [DoesNotReturn] public static void TableOutOfBounds() => throw new WasmTrapException("out of bounds table access");
    [DoesNotReturn] public static void DivideByZero() => throw new WasmTrapException("integer divide by zero");
    [DoesNotReturn] public static void IntegerOverflow() => throw new WasmTrapException(IntegerOverflowMessage);
    [DoesNotReturn] public static void InvalidConversion() => throw new WasmTrapException(InvalidConversionMessage);
    [DoesNotReturn] public static void Truncation(double x) => throw new WasmTrapException(double.IsNaN(x) ? InvalidConversionMessage : IntegerOverflowMessage);
    [DoesNotReturn] public static void StackExhausted() => throw new WasmTrapException("call stack exhausted");
    [DoesNotReturn] public static void FuelExhausted() => throw new WasmTrapException("fuel exhausted");
    [DoesNotReturn] public static void UndefinedElement() => throw new WasmTrapException("undefined element");
    [DoesNotReturn] public static void UninitializedElement() => throw new WasmTrapException("uninitialized element");
    [DoesNotReturn] public static void IndirectTypeMismatch() => throw new WasmTrapException("indirect call type mismatch");
#pragma warning restore CS1591

    private const string IntegerOverflowMessage = "integer overflow", InvalidConversionMessage = "invalid conversion to integer";
}
