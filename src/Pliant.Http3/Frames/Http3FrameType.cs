namespace Pliant.Http3.Frames;

/// <summary>HTTP/3 frame types (RFC 9114 §7.2, §11.2.1).</summary>
public static class Http3FrameType
{
    public const ulong Data = 0x00;
    public const ulong Headers = 0x01;
    public const ulong CancelPush = 0x03;
    public const ulong Settings = 0x04;
    public const ulong PushPromise = 0x05;
    public const ulong GoAway = 0x07;
    public const ulong MaxPushId = 0x0d;

    /// <summary>PRIORITY_UPDATE for a request stream (RFC 9218 §7.2).</summary>
    public const ulong PriorityUpdateRequest = 0xF0700;

    /// <summary>PRIORITY_UPDATE for a push stream (RFC 9218 §7.2).</summary>
    public const ulong PriorityUpdatePush = 0xF0701;

    /// <summary>Frames allowed only on the control stream (RFC 9114 §7.2; RFC 9218 §7.2).</summary>
    public static bool IsControlOnly(ulong type) =>
        type is Settings or GoAway or MaxPushId or CancelPush or PriorityUpdateRequest or PriorityUpdatePush;

    /// <summary>Reserved (GREASE) types 0x1f*N+0x21 (RFC 9114 §7.2.8).</summary>
    public static bool IsReserved(ulong type) => type >= 0x21 && (type - 0x21) % 0x1f == 0;

    /// <summary>HTTP/2 frame types without an HTTP/3 equivalent: PRIORITY, PING, WINDOW_UPDATE, CONTINUATION (§7.2.8, §11.2.1).</summary>
    public static bool IsHttp2Only(ulong type) => type is 0x02 or 0x06 or 0x08 or 0x09;
}

