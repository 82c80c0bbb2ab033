namespace Pliant.Wasm.Runtime;

/// <summary>
/// What the body of a self-recursive function compiled with fuel metering returns to its callers: its
/// result and the fuel it left. The fuel comes in as the body's last parameter and goes back in the
/// second register of the return (two eightbytes, RAX:RDX or XMM0:RAX on SysV x64), so a recursive call
/// carries fuel in registers instead of storing it to <see cref="ExecState.Fuel"/> before the call and
/// loading it after (two store-to-load round trips on the chain that carries fuel through every call).
/// </summary>
/// <typeparam name="T">The function's result type.</typeparam>
public struct FuelResult<T>
{
    /// <summary>The function's result.</summary>
    public T Value;

    /// <summary>Fuel left when it returned (below zero only after a trap, which never returns).</summary>
    public long Fuel;
}
