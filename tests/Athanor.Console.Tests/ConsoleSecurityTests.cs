using System.Net;
using System.Text.RegularExpressions;

namespace Athanor.Console.Tests;

/// <summary>Without the node's token every console page and endpoint answers 401; posts need the anti-forgery token too.</summary>
[Collection(ConsoleNodeCollection.Name)]
public sealed partial class ConsoleSecurityTests(ConsoleNode node)
{
    [Theory]
    [InlineData("/console/jobs")]
    [InlineData("/console/jobs/20260101-000000-abcdef")]
    [InlineData("/console/cluster")]
    [InlineData("/console/submit")]
    [InlineData("/console/api/jobs")]
    [InlineData("/console/api/cluster")]
    [InlineData("/console/api/jobs/20260101-000000-abcdef/events")]
    [InlineData("/console/api/jobs/20260101-000000-abcdef/resources")]
    public async Task Every_page_and_endpoint_refuses_a_request_without_the_token(string path)
    {
        using var anonymous = node.Http(withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);

        using var wrong = node.Http(withToken: false);
        wrong.DefaultRequestHeaders.Add("Cookie", "athanor_session=not-the-token-of-this-node");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path)).StatusCode);

        using var authorized = node.Http(withToken: true);
        Assert.NotEqual(HttpStatusCode.Unauthorized, (await authorized.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task A_post_without_the_token_is_refused_and_one_without_the_antiforgery_token_is_refused_too()
    {
        int before = await ConsolePages.JobCount(node);
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["yaml"] = "max_steps: 1", ["name"] = "x" });
        using var anonymous = node.Http(withToken: false);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/console/submit?handler=Submit", form)).StatusCode);

        // The right session cookie, but no anti-forgery token (a cross-site form would look like this): 400, nothing submitted.
        using var forged = node.Http(withToken: false);
        forged.DefaultRequestHeaders.Add("Cookie", "athanor_session=" + node.Folders.Token);
        var answer = await forged.PostAsync("/console/submit?handler=Submit", form);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal(before, await ConsolePages.JobCount(node));
    }

    [Fact]
    public async Task The_login_sets_an_HttpOnly_SameSite_Strict_cookie_and_refuses_a_wrong_token()
    {
        using var client = node.Http(withToken: false);
        var loginPage = await client.GetAsync("/console/login");
        var html = await loginPage.Content.ReadAsStringAsync();
        var csrf = CsrfField().Match(html).Groups[1].Value;
        var csrfCookie = loginPage.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("athanor_csrf=", StringComparison.Ordinal)).Split(';')[0];
        Assert.NotEmpty(csrf);

        async Task<HttpResponseMessage> Login(string token)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/console/login")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token, ["__csrf"] = csrf }),
            };
            request.Headers.Add("Cookie", csrfCookie);
            return await client.SendAsync(request);
        }

        var wrong = await Login("a-wrong-token-of-enough-length");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("the token is not valid for this server", await wrong.Content.ReadAsStringAsync());
        Assert.False(wrong.Headers.TryGetValues("Set-Cookie", out var none) && none.Any(c => c.StartsWith("athanor_session=", StringComparison.Ordinal)));

        var right = await Login(node.Folders.Token);
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        var session = right.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("athanor_session=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", session);
        Assert.Contains("samesite=strict", session);
        Assert.Contains("path=/console", session);
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
