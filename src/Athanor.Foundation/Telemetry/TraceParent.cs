using System.Diagnostics;

namespace Athanor.Telemetry;

/// <summary>
/// W3C traceparent strings ("00-TRACEID-SPANID-FLAGS"), the form trace context travels in inside actor
/// messages and persisted job events, so one job is one trace across its nodes and its restarts.
/// </summary>
public static class TraceParent
{
    /// <summary>The traceparent of an activity, or null without one (tracing off).</summary>
    public static string? Of(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>
    /// The traceparent to continue from a server request's activity: when it was recorded here or continues a
    /// caller's trace (whose sampling decision it carries); null for an activity ASP.NET Core made only to
    /// correlate logs, whose unsampled flag would otherwise switch tracing off for the whole job.
    /// </summary>
    public static string? OfRequest(Activity? activity) =>
        activity is { Recorded: true } or { HasRemoteParent: true } ? Of(activity) : null;

    /// <summary>The remote parent context a traceparent names; default (no parent) when null or malformed.</summary>
    public static ActivityContext Parse(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;

    /// <summary>
    /// Starts a span under an explicit parent without making it the thread's current activity: actors share
    /// dispatcher threads, and a long-lived span left current there would adopt unrelated work.
    /// </summary>
    public static Activity? StartDetached(ActivitySource source, string name, string? parent, ActivityKind kind = ActivityKind.Internal,
        IEnumerable<KeyValuePair<string, object?>>? tags = null)
    {
        var previous = Activity.Current;
        try
        {
            Activity.Current = null; // the parent is the one given, never whatever ran last on this thread
            return source.StartActivity(name, kind, Parse(parent), tags);
        }
        finally { Activity.Current = previous; }
    }

    /// <summary>Stops a span started with <see cref="StartDetached"/>, leaving the thread's current activity as it was.</summary>
    public static void StopDetached(Activity? activity)
    {
        if (activity is null) return;
        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous;
    }
}
