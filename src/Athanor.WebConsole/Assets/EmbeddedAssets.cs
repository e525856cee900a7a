using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Assets;

/// <summary>
/// Serves the console's static files from resources embedded in this assembly (wwwroot/, logical names console/...):
/// nothing is read from disk or fetched from a CDN, so a single executable serves the whole console offline.
/// </summary>
public static class EmbeddedAssets
{
    private const string Prefix = "console/";
    private static readonly Assembly Source = typeof(EmbeddedAssets).Assembly;

    /// <summary>The embedded names (e.g. "vendor/uplot/uPlot.iife.min.js"); only these are ever served.</summary>
    public static IReadOnlySet<string> Names { get; } = Source.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..]).ToHashSet(StringComparer.Ordinal);

    public static void Map(WebApplication app, string route) =>
        app.MapGet(route + "/{**name}", (string name, HttpContext context) =>
        {
            if (!Names.Contains(name)) return Results.NotFound();
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Stream(Source.GetManifestResourceStream(Prefix + name)!, ContentType(name));
        });

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    };
}
