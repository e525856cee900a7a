using Athanor.Native;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

/// <summary>
/// On a GPU, custom backward functions run on libtorch's device thread, outside the trainer's dispose scopes:
/// whatever they leave undisposed holds GPU memory until the garbage collector runs (a 0.6B job once ran out
/// of memory at step 17 that way). These tests pin down who frees what.
/// </summary>
[Collection(nameof(BackwardResultsTests))]
public class BackwardResultsTests
{
    public BackwardResultsTests() => TorchRuntime.Initialize();

    [Fact]
    public void Incoming_gradient_wrappers_and_temporaries_are_freed_and_results_kept_until_release()
    {
        var incoming = ones(4);
        Tensor? temporary = null;
        var results = BackwardResults.Guarded([incoming, null], () =>
        {
            temporary = incoming * 2;
            return [temporary + 1, null!];
        }, () => [null!, null!]);
        Assert.True(incoming.IsInvalid, "the wrapper of the incoming gradient must be disposed");
        Assert.True(temporary!.IsInvalid, "temporaries of the body must be disposed with its scope");
        Assert.False(results[0].IsInvalid);
        Assert.Equal(3f, results[0][0].item<float>());
        BackwardResults.Release();
        Assert.False(results[0].IsInvalid, "a release right away leaves it: another rank's backward may still be handing it over");
        Thread.Sleep(BackwardResults.Grace * 3);
        BackwardResults.Release();
        Assert.True(results[0].IsInvalid, "a release after the grace period frees it");
    }

    [Fact]
    public void An_incoming_gradient_passed_straight_through_is_not_disposed()
    {
        var incoming = ones(3);
        var results = BackwardResults.Guarded([incoming], () => [incoming], () => [null!]);
        Assert.False(incoming.IsInvalid);
        Thread.Sleep(BackwardResults.Grace * 3);
        BackwardResults.Release();
        Assert.True(results[0].IsInvalid);
    }
}

/// <summary>Release is process-wide: these tests run with nothing else (trainers release too).</summary>
[CollectionDefinition(nameof(BackwardResultsTests), DisableParallelization = true)]
public sealed class BackwardResultsCollection;
