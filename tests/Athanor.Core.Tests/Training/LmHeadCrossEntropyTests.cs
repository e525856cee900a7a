using Athanor.Data;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

public class LmHeadCrossEntropyTests
{
    private static (double Loss, Dictionary<string, Tensor> Grads) LossAndGrads(bool chunked, bool tied)
    {
        using var model = TinySetup.Model(tied: tied);
        model.train();
        // Labels with ignored positions (prompt tokens and padding) as the trainer builds them.
        using var ids = tensor(new long[] { 5, 9, 2, 33, 17, 4, 8, 60, 1, 2, 3, 4, 5, 0, 0, 0 }, [2, 8]);
        using var labels = tensor(new long[] { -100, -100, 2, 33, 17, 4, 8, 60, -100, 2, 3, 4, 5, -100, -100, -100 }, [2, 8]);
        using var loss = chunked ? CausalLmLoss.Sum(model, ids, labels) : CausalLmLoss.SumUnchunked(model, ids, labels);
        (loss / 9).backward();
        model.Gradients.Release();
        Assert.Equal(0, model.Gradients.Count);
        return (loss.item<float>(), model.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_chunked_loss_and_its_gradients_equal_full_logits_cross_entropy(bool tied)
    {
        var (expectedLoss, expected) = LossAndGrads(chunked: false, tied);
        var (loss, actual) = LossAndGrads(chunked: true, tied);
        Assert.Equal(expectedLoss, loss, 4);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, grad) in expected)
            Assert.True(grad.allclose(actual[name], rtol: 1e-4, atol: 1e-6), $"{name}: gradients differ");
    }

    [Fact]
    public void Rows_are_walked_in_chunks_when_the_vocabulary_is_large()
    {
        // 3 rows per chunk: 10 rows take four chunks, the last one short.
        long vocab = 50;
        using var weight = randn(vocab, 4, generator: new Generator(1)).mul_(0.1).requires_grad_(true);
        using var hidden = randn(10, 4, generator: new Generator(2)).requires_grad_(true);
        using var targets = tensor(new long[] { 1, 5, -100, 7, 9, 0, 3, -100, 2, 8 });
        var gradients = new BackwardResults();
        using var chunked = LmHeadCrossEntropy.Sum(hidden, weight, targets, -100, gradients, chunkElements: 3 * vocab);
        chunked.backward();
        gradients.Release();
        using var hGrad = hidden.grad!.clone();
        using var wGrad = weight.grad!.clone();
        hidden.grad!.zero_();
        weight.grad!.zero_();
        using var full = nn.functional.cross_entropy(hidden.matmul(weight.t()), targets, ignore_index: -100, reduction: nn.Reduction.Sum);
        full.backward();
        Assert.Equal(full.item<float>(), chunked.item<float>(), 3);
        Assert.True(hGrad.allclose(hidden.grad!, rtol: 1e-4, atol: 1e-6));
        Assert.True(wGrad.allclose(weight.grad!, rtol: 1e-4, atol: 1e-7));
    }
}
