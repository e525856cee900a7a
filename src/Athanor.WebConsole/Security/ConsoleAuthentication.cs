using System.Net;
using Athanor.Node.Security;
using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Security;

/// <summary>
/// Every console page and endpoint needs the node's bearer token, from the session cookie the login sets or an
/// "authorization: Bearer TOKEN" header (scripts, curl); without it the answer is 401. Only the login page and the
/// static files (the console's own script and style, the vendored chart library: no data) are open.
/// </summary>
public sealed class ConsoleAuthentication(RequestDelegate next, BearerToken token)
{
    private const string Scheme = "Bearer ";

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments(ConsoleSetup.Root + "/login") || path.StartsWithSegments(ConsoleSetup.Root + "/assets"))
            return next(context);
        if (IsAuthenticated(context.Request, token))
            return next(context);
        return Refuse(context);
    }

    public static bool IsAuthenticated(HttpRequest request, BearerToken token)
    {
        if (request.Cookies.TryGetValue(ConsoleCookies.Session, out var cookie) && !string.IsNullOrEmpty(cookie) && token.Matches(cookie))
            return true;
        string header = request.Headers.Authorization.ToString();
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && token.Matches(header[Scheme.Length..].Trim());
    }

    private static Task Refuse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.CacheControl = "no-store";
        bool page = HttpMethods.IsGet(context.Request.Method) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal);
        if (!page)
            return context.Response.WriteAsync("unauthorized: log in at /console/login, or send the header 'authorization: Bearer TOKEN'\n");
        // A browser gets a page that leads to the login and back here afterwards.
        var back = WebUtility.UrlEncode(context.Request.Path + context.Request.QueryString);
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($"""
            <!doctype html><html><head><meta charset="utf-8"><title>Athanor: log in</title>
            <link rel="stylesheet" href="/console/assets/console.css"></head>
            <body><main class="narrow"><h1>Athanor</h1><p id="unauthorized">This page needs the node's token.</p>
            <p><a id="login-link" href="/console/login?returnUrl={back}">Log in</a></p></main></body></html>
            """);
    }
}
