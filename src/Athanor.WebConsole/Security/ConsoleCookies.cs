using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Security;

/// <summary>The console's cookies: the session (the bearer token itself) and the anti-forgery cookie.</summary>
public static class ConsoleCookies
{
    public const string Session = "athanor_session";
    public const string AntiforgeryCookie = "athanor_csrf";

    /// <summary>HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure under TLS, only for /console.</summary>
    public static CookieOptions SessionOptions(HttpRequest request) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = ConsoleSetup.Root,
        IsEssential = true,
    };
}
