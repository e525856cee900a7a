using System.Diagnostics;
using Athanor.Telemetry;

namespace Athanor.Tests.Telemetry;

public class TraceParentTests
{
    [Fact]
    public void ASpanStartedFromATraceParentJoinsThatTraceAndLeavesTheCurrentSpanAlone()
    {
        using var source = new ActivitySource("Athanor.Tests.TraceParent");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        using var remote = source.StartActivity("remote")!;
        string traceParent = TraceParent.Of(remote)!;
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", traceParent);
        remote.Stop();

        using var unrelated = source.StartActivity("unrelated")!; // what ran last on this thread
        var child = TraceParent.StartDetached(source, "child", traceParent)!;
        Assert.Same(unrelated, Activity.Current);
        Assert.Equal(remote.TraceId, child.TraceId);
        Assert.Equal(remote.SpanId, child.ParentSpanId);
        TraceParent.StopDetached(child);
        Assert.Same(unrelated, Activity.Current);
        Assert.True(child.Duration > TimeSpan.Zero || child.IsStopped);

        var root = TraceParent.StartDetached(source, "root", null)!;
        Assert.Equal(default, root.ParentSpanId);
        Assert.NotEqual(remote.TraceId, root.TraceId);
        TraceParent.StopDetached(root);
        Assert.Equal(default, TraceParent.Parse("not-a-traceparent"));
    }
}
