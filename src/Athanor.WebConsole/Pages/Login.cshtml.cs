using Athanor.Node.Security;
using Athanor.WebConsole.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>Checks the token as the gRPC middleware does and keeps it in the HttpOnly, SameSite=Strict session cookie.</summary>
public sealed class LoginModel(BearerToken token) : PageModel
{
    public string? Error { get; private set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet() { }

    public IActionResult OnPost()
    {
        var given = Request.Form["token"].ToString().Trim();
        if (given.Length == 0 || !token.Matches(given))
        {
            Error = "the token is not valid for this server";
            Response.StatusCode = 401;
            return Page();
        }
        Response.Cookies.Append(ConsoleCookies.Session, given, ConsoleCookies.SessionOptions(Request));
        // Only back into the console: never an open redirect to another site.
        bool local = ReturnUrl is { Length: > 1 } url && url.StartsWith("/console/", StringComparison.Ordinal) && !url.StartsWith("/console//", StringComparison.Ordinal)
                     && !url.Contains('\\');
        return Redirect(local ? ReturnUrl! : "/console/jobs");
    }
}
