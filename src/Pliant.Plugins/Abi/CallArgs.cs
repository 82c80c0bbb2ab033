namespace Pliant.Plugins.Abi;

/// <summary>The current operation's arguments and result as the plugin sees them through <c>arg</c>/<c>set_result</c>.</summary>
internal struct CallArgs
{
    public ulong A0, A1, A2, A3, Path, Result;
    public bool ResultSet;

    public readonly ulong Get(int index) => index switch
    {
        0 => A0,
        1 => A1,
        2 => A2,
        3 => A3,
        4 => Result,
        5 => Path, // the path id (OperationArgs.Path), 0 until multipath
        _ => 0,
    };
}
