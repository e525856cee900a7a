using System.Text.Json;
using Microsoft.Playwright;

namespace Athanor.Console.Tests;

/// <summary>What the console tests share: screenshots of the pages and the number of jobs the backend holds.</summary>
internal static class ConsolePages
{
    /// <summary>Each page as the test saw it, under the test output's screenshots/ (docs/images holds copies from a real run).</summary>
    public static async Task Screenshot(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public static async Task<int> JobCount(ConsoleNode node)
    {
        using var http = node.Http(withToken: true);
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/console/api/jobs"));
        return doc.RootElement.GetProperty("jobs").GetArrayLength();
    }
}
