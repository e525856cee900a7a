using System.Net;
using Athanor.Cluster.Tests;
using Microsoft.Playwright;

namespace Athanor.Console.Tests;

/// <summary>
/// One real `cluster node` on 127.0.0.1 (coordinator and worker, one CPU slot, SQLite journal) with its HTTP port
/// serving the console, and one headless Chromium (Debian's, through Playwright) shared by a test class.
/// </summary>
public sealed class ConsoleNode : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ClusterFolders Folders { get; } = new();
    public NodeProcess Node { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The SQLite journal; a second node joining this one's cluster names the same.</summary>
    public string Journal => "sqlite:" + Path.Combine(Folders.Root, "journal.db");

    public string Base => $"http://127.0.0.1:{Node.HttpPort}";

    public async Task InitializeAsync()
    {
        int akka = NodeProcess.FreePort();
        Node = new NodeProcess("console", akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], Journal, Folders, httpPort: NodeProcess.FreePort());
        Node.WaitUntilServing(TimeSpan.FromSeconds(90));
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        if (!File.Exists(ChromiumPath)) throw new InvalidOperationException($"{ChromiumPath} is missing: run build/test-prerequisites.sh (apt-get install chromium)");
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
    }

    /// <summary>A fresh browser context (no cookies), logged in through the login form.</summary>
    public async Task<IPage> LoggedInPage()
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = Base, ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console/login");
        await page.FillAsync("#token", Folders.Token);
        await page.ClickAsync("#login");
        await page.WaitForURLAsync("**/console/jobs");
        return page;
    }

    public HttpClient Http(bool withToken)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(Base) };
        if (withToken) client.DefaultRequestHeaders.Authorization = new("Bearer", Folders.Token);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        Node?.Dispose();
        Folders.Dispose();
    }
}
