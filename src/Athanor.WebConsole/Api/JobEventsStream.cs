using System.Globalization;
using System.Text.Json;
using Athanor.Node.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;

namespace Athanor.WebConsole.Api;

/// <summary>
/// GET {api}/jobs/{id}/events: the job's events as Server-Sent Events, straight from the backend's WatchAsync (the
/// stream gRPC's WatchJob serves). Each event's SSE id is its sequence, so a browser that loses the connection
/// reconnects with Last-Event-ID and gets exactly the events it missed: no chart point twice, none lost.
/// The stream ends with an "end" event after the job's final state.
/// </summary>
public static class JobEventsStream
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(WebApplication app, string api) =>
        app.MapGet(api + "/jobs/{id}/events", Stream);

    private static async Task Stream(string id, HttpContext context, IJobBackend backend, IHostApplicationLifetime lifetime)
    {
        if (!ConsoleJobId.IsValid(id)) { context.Response.StatusCode = 400; return; }
        long from = FromSequence(context.Request);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try { await backend.GetAsync(id, cancel.Token); }
        catch (JobNotFoundException) { context.Response.StatusCode = 404; return; }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var writer = context.Response;
        await writer.WriteAsync("retry: 1000\n\n", cancel.Token);
        await writer.Body.FlushAsync(cancel.Token);
        try
        {
            await foreach (var e in Watch(backend, id, from, cancel.Token))
            {
                await writer.WriteAsync($"id: {e.Sequence}\ndata: {JsonSerializer.Serialize(View(e), Json)}\n\n", cancel.Token);
                await writer.Body.FlushAsync(cancel.Token);
            }
            await writer.WriteAsync("event: end\ndata: {}\n\n", cancel.Token);
            await writer.Body.FlushAsync(cancel.Token);
        }
        catch (OperationCanceledException) { } // the viewer left or the node stops
    }

    private static async IAsyncEnumerable<JobEvent> Watch(IJobBackend backend, string id, long from,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        IAsyncEnumerator<JobEvent> events = backend.WatchAsync(id, from, follow: true, cancel).GetAsyncEnumerator(cancel);
        try
        {
            while (true)
            {
                bool more;
                try { more = await events.MoveNextAsync(); }
                catch (EventsExpiredException ex)
                {
                    // Older events are gone: continue from the first one kept rather than fail the page.
                    await events.DisposeAsync();
                    events = backend.WatchAsync(id, ex.FirstKept, follow: true, cancel).GetAsyncEnumerator(cancel);
                    continue;
                }
                if (!more) yield break;
                yield return events.Current;
            }
        }
        finally { await events.DisposeAsync(); }
    }

    /// <summary>Last-Event-ID (a reconnecting EventSource) wins over ?from=; both mean "after this sequence".</summary>
    public static long FromSequence(HttpRequest request)
    {
        string? last = request.Headers["Last-Event-ID"].FirstOrDefault() ?? request.Query["after"].FirstOrDefault();
        return long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var seen) && seen >= 0 && seen < long.MaxValue ? seen + 1 : 1;
    }

    public static object View(JobEvent e) => e switch
    {
        JobStepReported s => new
        {
            kind = "step", seq = s.Sequence, time = s.Time, s.Step, s.MaxSteps, s.Metrics.Loss, lr = s.Metrics.LearningRate,
            s.Metrics.GradNorm, s.Metrics.TokensPerSecond, s.Metrics.Epoch,
        },
        JobEvalReported v => new { kind = "eval", seq = v.Sequence, time = v.Time, v.Step, v.EvalLoss, v.IsBest },
        JobCheckpointSaved c => new { kind = "checkpoint", seq = c.Sequence, time = c.Time, c.Step, c.Path },
        JobLogLine l => new { kind = "log", seq = l.Sequence, time = l.Time, l.Text },
        JobStateChanged c => new { kind = "state", seq = c.Sequence, time = c.Time, state = JobView.StateName(c.State), c.Error },
        _ => new { kind = "other", seq = e.Sequence, time = e.Time },
    };
}
