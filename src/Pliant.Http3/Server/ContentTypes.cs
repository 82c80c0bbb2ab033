namespace Pliant.Http3.Server;

/// <summary>A small extension → media type map for the static file server.</summary>
internal static class ContentTypes
{
    private static readonly Dictionary<string, string> s_map = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".htm"] = "text/html; charset=utf-8",
        [".css"] = "text/css",
        [".js"] = "application/javascript",
        [".mjs"] = "application/javascript",
        [".json"] = "application/json",
        [".txt"] = "text/plain; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
        [".ico"] = "image/x-icon",
        [".wasm"] = "application/wasm",
        [".pdf"] = "application/pdf",
        [".xml"] = "application/xml",
    };

    public static string For(string path) =>
        s_map.TryGetValue(Path.GetExtension(path), out var t) ? t : "application/octet-stream";
}
