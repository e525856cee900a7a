using Athanor.Models;
using Athanor.Native;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

/// <summary>
/// On a GPU, custom backward functions run on libtorch's device thread, outside the trainer's dispose scopes:
/// whatever they leave undisposed holds GPU memory until the garbage collector runs (a 0.6B job once ran out
/// of memory at step 17 that way). These tests pin down who frees what, and that each model owns its own.
/// </summary>
public class BackwardResultsTests
{
    public BackwardResultsTests() => TorchRuntime.Initialize();

    [Fact]
    public void Incoming_gradient_wrappers_and_temporaries_are_freed_and_results_kept_until_a_release_frees_them_all()
    {
        var gradients = new BackwardResults();
        var incoming = ones(4);
        Tensor? temporary = null;
        var results = gradients.Guarded([incoming, null], () =>
        {
            temporary = incoming * 2;
            return [temporary + 1, null!];
        }, () => [null!, null!]);
        Assert.True(incoming.IsInvalid, "the wrapper of the incoming gradient must be disposed");
        Assert.True(temporary!.IsInvalid, "temporaries of the body must be disposed with its scope");
        Assert.False(results[0].IsInvalid);
        Assert.Equal(3f, results[0][0].item<float>());
        Assert.Equal(1, gradients.Count);
        gradients.Release();
        Assert.True(results[0].IsInvalid, "a release right after backward frees what it kept, with no grace period");
        Assert.Equal(0, gradients.Count);
    }

    [Fact]
    public void An_incoming_gradient_passed_straight_through_is_not_disposed()
    {
        var gradients = new BackwardResults();
        var incoming = ones(3);
        var results = gradients.Guarded([incoming], () => [incoming], () => [null!]);
        Assert.False(incoming.IsInvalid);
        gradients.Release();
        Assert.True(results[0].IsInvalid);
    }

    [Fact]
    public void A_release_frees_only_what_its_own_owner_kept()
    {
        var mine = new BackwardResults();
        var theirs = new BackwardResults();
        var kept = mine.Guarded([], () => [ones(2)], () => [null!])[0];
        var other = theirs.Guarded([], () => [ones(2)], () => [null!])[0];
        theirs.Release();
        Assert.True(other.IsInvalid);
        Assert.False(kept.IsInvalid, "another owner's release must leave this owner's gradient alone");
        mine.Release();
        Assert.True(kept.IsInvalid);
    }

    [Fact]
    public void A_function_applied_without_an_owner_is_refused()
    {
        using var x = ones(2, 3).requires_grad_(true);
        var error = Assert.Throws<ArgumentException>(() => LayerGradientHook.apply(x, 0, (Action<int>)(_ => { })));
        Assert.Contains("exactly one BackwardResults", error.Message);
    }

    [Fact]
    public void A_models_backward_keeps_its_functions_results_in_the_model_and_a_release_right_after_frees_them_all()
    {
        using var model = TinySetup.Model();
        using var checkpointing = ActivationCheckpointing.Apply(model, every: 1);
        model.train();
        using var ids = tensor(new long[] { 5, 9, 2, 33, 17, 4, 8, 60, 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 8]);
        using (var loss = CausalLmLoss.Sum(model, ids, ids)) loss.backward();
        // The loss function's two gradients and each checkpointed layer's input gradient.
        Assert.Equal(2 + model.Config.NumLayers, model.Gradients.Count);
        model.Gradients.Release();
        Assert.Equal(0, model.Gradients.Count);
        model.Gradients.ThrowIfFailed();
    }

    [Fact]
    public void Two_trainers_on_two_threads_release_only_their_own_gradients_and_train_as_they_do_alone()
    {
        using var temp = new TestPaths.TempFolder();
        var data = TinySetup.Data();
        (List<double> Losses, int MaxKeptAfterMicroBatch) Train(string dir, long seed)
        {
            using var model = TinySetup.Model(seed);
            using var checkpointing = ActivationCheckpointing.Apply(model, every: 1);
            int maxKept = 0;
            var trainer = new Trainer(model, null, data, TinySetup.Settings(dir))
            {
                MicroBatchCompleted = (_, _) => maxKept = Math.Max(maxKept, model.Gradients.Count),
            };
            Assert.Equal(12, trainer.Run().Steps);
            return (TrainingCurves.Losses(dir), maxKept);
        }
        var aloneA = Train(temp.Sub("alone-a"), seed: 1);
        var aloneB = Train(temp.Sub("alone-b"), seed: 2);
        (List<double>, int) togetherA = default, togetherB = default;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Thread On(Action run) => new(() => { try { run(); } catch (Exception ex) { failures.Enqueue(ex); } });
        var threads = new[]
        {
            On(() => togetherA = Train(temp.Sub("together-a"), seed: 1)),
            On(() => togetherB = Train(temp.Sub("together-b"), seed: 2)),
        };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.Empty(failures);
        Assert.Equal(aloneA.Losses, togetherA.Item1); // bit for bit: nothing of one run's backward was freed by the other
        Assert.Equal(aloneB.Losses, togetherB.Item1);
        Assert.NotEqual(aloneA.Losses, aloneB.Losses);
        Assert.Equal(0, togetherA.Item2); // every micro-batch ends with its model's gradients released
        Assert.Equal(0, togetherB.Item2);
    }
}
