// The jobs page of the web console with 1,000 jobs in the journal (issue 24's target: a page load under 1 s on the
// 2-core machine). Starts a real `cluster node` (one CPU slot, SQLite journal), submits 1,000 jobs through the
// console's own submit form (world size 2 on a one-slot node: they stay pending, so the node stays idle), then times
// the server-rendered page, the JSON the page polls every 2 s, and full loads of the page in Chromium.
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Athanor.Cluster.Tests;
using Microsoft.Playwright;

const int Jobs = 1000, Rounds = 20;
using var folders = new ClusterFolders();
int akka = NodeProcess.FreePort();
using var node = new NodeProcess("bench", akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], "sqlite:" + Path.Combine(folders.Root, "journal.db"),
    folders, httpPort: NodeProcess.FreePort());
node.WaitUntilServing(TimeSpan.FromSeconds(90));
var baseUrl = $"http://127.0.0.1:{node.HttpPort}";
using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(baseUrl) };
http.DefaultRequestHeaders.Authorization = new("Bearer", folders.Token);

// The anti-forgery pair of one session, reused for every post.
var form = await http.GetAsync("/console/submit");
var csrf = Regex.Match(await form.Content.ReadAsStringAsync(), "name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
var csrfCookie = form.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("athanor_csrf=", StringComparison.Ordinal)).Split(';')[0];
var template = File.ReadAllText(folders.WriteJob("bench", maxSteps: 10, saveSteps: 10, worldSize: 2));
var clock = Stopwatch.StartNew();
for (int i = 0; i < Jobs; i++)
{
    var yaml = template.Replace(Path.Combine(folders.OutputRoot, "bench"), Path.Combine(folders.OutputRoot, $"bench-{i:D4}"));
    var post = new HttpRequestMessage(HttpMethod.Post, "/console/submit?handler=Submit")
    {
        Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["yaml"] = yaml, ["name"] = $"bench {i}", ["__csrf"] = csrf }),
    };
    post.Headers.Add("Cookie", csrfCookie);
    var answer = await http.SendAsync(post);
    if (answer.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"job {i}: {answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}");
}
Console.WriteLine($"submitted {Jobs} jobs through the console in {clock.Elapsed.TotalSeconds:F1} s");

async Task<List<double>> Time(Func<Task> action)
{
    await action(); // warm
    var times = new List<double>();
    for (int r = 0; r < Rounds; r++)
    {
        var t = Stopwatch.StartNew();
        await action();
        times.Add(t.Elapsed.TotalMilliseconds);
    }
    return times;
}

string Summary(List<double> ms)
{
    ms.Sort();
    return $"median {ms[ms.Count / 2]:F0} ms, p95 {ms[(int)Math.Ceiling(ms.Count * 0.95) - 1]:F0} ms, max {ms[^1]:F0} ms";
}

long pageBytes = 0, jsonBytes = 0;
var html = await Time(async () => { var b = await http.GetStringAsync("/console/jobs"); pageBytes = b.Length; });
var json = await Time(async () => { var b = await http.GetStringAsync("/console/api/jobs"); jsonBytes = b.Length; });
Console.WriteLine($"GET /console/jobs (server-rendered, {pageBytes / 1024} KiB): {Summary(html)}");
Console.WriteLine($"GET /console/api/jobs (the JSON the page polls, {jsonBytes / 1024} KiB): {Summary(json)}");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, ExtraHTTPHeaders = new Dictionary<string, string> { ["authorization"] = "Bearer " + folders.Token } });
var page = await context.NewPageAsync();
var navigation = new List<(double Response, double Dom, double Load)>();
var load = await Time(async () =>
{
    await page.GotoAsync("/console/jobs", new() { WaitUntil = WaitUntilState.Load });
    // The browser's own account of the load (Navigation Timing), without the driver's round trips.
    var t = await page.EvaluateAsync<double[]>("() => { const n = performance.getEntriesByType('navigation')[0]; return [n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd]; }");
    navigation.Add((t[0], t[1], t[2]));
});
Console.WriteLine($"Chromium: navigation to the load event (all {Jobs} rows rendered by the server): {Summary(load)}");
navigation = navigation.Skip(1).ToList(); // the warm-up
Console.WriteLine($"Chromium, Navigation Timing: response end {Summary(navigation.Select(n => n.Response).ToList())}; " +
                  $"DOMContentLoaded {Summary(navigation.Select(n => n.Dom).ToList())}; load event {Summary(navigation.Select(n => n.Load).ToList())}");
