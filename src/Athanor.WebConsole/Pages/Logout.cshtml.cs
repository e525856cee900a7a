using Athanor.WebConsole.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>POST only (with the anti-forgery token): forgets the session cookie.</summary>
public sealed class LogoutModel : PageModel
{
    public IActionResult OnGet() => Redirect("/console/jobs");

    public IActionResult OnPost()
    {
        Response.Cookies.Delete(ConsoleCookies.Session, ConsoleCookies.SessionOptions(Request));
        return Redirect("/console/login");
    }
}
