namespace Pliant.Wasm.Runtime;

// What the body of a self-recursive function compiled with fuel metering returns to its callers: its result
// and the fuel it left. The fuel comes in as the body's last parameters (with the call depth) and goes back
// in the second register of the return (two eightbytes: RAX:RDX or XMM0:RAX on SysV x64), so a recursive
// call carries fuel in registers instead of storing it to ExecState.Fuel before the call and loading it after
// (two store-to-load round trips on the chain that carries fuel through every call). One plain struct per
// result type: a generic instantiation in a method or local signature costs the compiler a TypeSpec lookup
// in the dynamic module each time (~15-25 us per function).
#pragma warning disable CS1591 // the fields say what they are; the types are documented above
/// <summary>Result and fuel left of a fuel-passing body with an i32 result (see FunctionCompiler.PassesFuel).</summary>
public struct FuelResultI32 { public int Value; public long Fuel; }

/// <summary>Result and fuel left of a fuel-passing body with an i64 result.</summary>
public struct FuelResultI64 { public long Value; public long Fuel; }

/// <summary>Result and fuel left of a fuel-passing body with an f32 result.</summary>
public struct FuelResultF32 { public float Value; public long Fuel; }

/// <summary>Result and fuel left of a fuel-passing body with an f64 result.</summary>
public struct FuelResultF64 { public double Value; public long Fuel; }

/// <summary>Result and fuel left of a fuel-passing body with a reference result.</summary>
public struct FuelResultRef { public object? Value; public long Fuel; }
#pragma warning restore CS1591
