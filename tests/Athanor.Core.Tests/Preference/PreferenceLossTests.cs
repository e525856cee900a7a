using Athanor.Configuration;
using Athanor.Native;
using Athanor.Preference;
using static TorchSharp.torch;

namespace Athanor.Tests.Preference;

/// <summary>
/// Each loss against its published formula, computed by hand (Python's math module, double precision) for two pairs:
/// policy chosen/rejected log-probabilities (-1, -2) and (-3, -2.5), reference (-1.5, -1.5) and (-2, -3), beta 0.1, so
/// the log-ratio margins are 1 and -1.5.
/// </summary>
public sealed class PreferenceLossTests
{
    private const double Tolerance = 1e-6;

    public PreferenceLossTests() => TorchRuntime.Initialize();

    private static Tensor Vec(params double[] values) => tensor(values, ScalarType.Float64);

    private static void Near(double[] expected, Tensor actual)
    {
        var values = actual.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) < Tolerance, $"entry {i}: expected {expected[i]}, got {values[i]}");
    }

    private static PairLosses WithReference(PreferenceLoss loss, double smoothing = 0) =>
        PreferenceLosses.WithReference(loss, Vec(-1, -3), Vec(-2, -2.5), Vec(-1.5, -2), Vec(-1.5, -3), beta: 0.1, smoothing);

    [Fact]
    public void SigmoidIsDpo()
    {
        // -log sigmoid(0.1 * 1) and -log sigmoid(0.1 * -1.5)
        using var result = WithReference(PreferenceLoss.Sigmoid);
        Near([0.6443966600735709, 0.7709570477895321], result.Losses);
        Near([0.05, -0.1], result.ChosenRewards);
        Near([-0.05, 0.05], result.RejectedRewards);
    }

    [Fact]
    public void SigmoidWithLabelSmoothingIsRobustDpo()
    {
        // -0.8 log sigmoid(z) - 0.2 log sigmoid(-z)
        using var result = WithReference(PreferenceLoss.Sigmoid, smoothing: 0.2);
        Near([0.6643966600735709, 0.7409570477895322], result.Losses);
    }

    [Fact]
    public void HingeIsReluOfOneMinusTheScaledMargin()
    {
        using var result = WithReference(PreferenceLoss.Hinge);
        Near([0.9, 1.15], result.Losses);
    }

    [Fact]
    public void IpoIsTheSquaredDistanceFromHalfOverBeta()
    {
        // (1 - 5)^2 and (-1.5 - 5)^2
        using var result = WithReference(PreferenceLoss.Ipo);
        Near([16.0, 42.25], result.Losses);
    }

    [Fact]
    public void AtTheStartPolicyEqualsReferenceAndDpoIsLnTwo()
    {
        using var result = PreferenceLosses.WithReference(PreferenceLoss.Sigmoid, Vec(-7, -1), Vec(-3, -9), Vec(-7, -1), Vec(-3, -9), beta: 0.1);
        Near([Math.Log(2), Math.Log(2)], result.Losses);
        Near([0, 0], result.ChosenRewards);
    }

    [Fact]
    public void OrpoIsSftPlusBetaTimesTheOddsRatioLoss()
    {
        // Mean log-probabilities (-0.5, -0.9) and (-1.2, -0.7): -pc + 0.1 * -log sigmoid(logodds(pc) - logodds(pr)).
        using var result = PreferenceLosses.ReferenceFree(PreferenceLoss.Orpo, Vec(-0.5, -1.2), Vec(-0.9, -0.7), beta: 0.1);
        Near([0.5367728943085694, 1.3190474683255171], result.Losses);
        Near([-0.05, -0.12], result.ChosenRewards);
        Near([-0.09, -0.07], result.RejectedRewards);
    }

    [Fact]
    public void SimpoIsTheLengthNormalizedMarginAgainstGamma()
    {
        // -log sigmoid(2 * (pc - pr) - 0.5) with beta 2, gamma 0.5.
        using var result = PreferenceLosses.ReferenceFree(PreferenceLoss.Simpo, Vec(-0.5, -1.2), Vec(-0.9, -0.7), beta: 2, simpoGamma: 0.5);
        Near([0.5543552444685271, 1.7014132779827524], result.Losses);
    }

    [Fact]
    public void KtoWeighsEachTagAgainstTheClampedKlReferencePoint()
    {
        // policy (-1, -2, -3), reference (-1.2, -1.5, -3.5); KL policy (-2, -2.5, -1), KL reference (-2.5, -3, -1.4):
        // z0 = mean(0.5, 0.5, 0.4) = 0.4667; desirable 1 - sigmoid(0.1 (r - z0)), undesirable 1.5 (1 - sigmoid(0.1 (z0 - r))).
        var (result, kl) = PreferenceLosses.Kto(Vec(-1, -2, -3), Vec(-1.2, -1.5, -3.5), Vec(-2, -2.5, -1), Vec(-2.5, -3, -1.4),
            tensor(new[] { true, false, true }), beta: 0.1, desirableWeight: 1, undesirableWeight: 1.5);
        using (result)
        {
            Assert.Equal(0.4666666666666666, kl, 1e-6);
            Near([0.5066662716330295, 0.7137782016566709, 0.49916666743827076], result.Losses);
            Near([0.02, -0.05, 0.05], result.ChosenRewards);
        }
    }

    [Fact]
    public void KtoClampsANegativeKlEstimateAtZero()
    {
        var (result, kl) = PreferenceLosses.Kto(Vec(-1, -2, -3), Vec(-1.2, -1.5, -3.5), Vec(-2, -4, -1), Vec(-2.5, -3, -1.4),
            tensor(new[] { true, false, true }), beta: 0.1, desirableWeight: 1, undesirableWeight: 1.5);
        using (result)
        {
            Assert.Equal(0, kl);
            Near([0.49500016666000024, 0.7312539052736845, 0.48750260351578967], result.Losses);
        }
    }

    [Fact]
    public void GradientsFlowToThePolicyOnlyAndMatchTheDerivative()
    {
        // d/dpc of -log sigmoid(beta z) is -beta * sigmoid(-beta z); the reference gets none.
        var pc = Vec(-1, -3).requires_grad_();
        var rc = Vec(-1.5, -2);
        using var result = PreferenceLosses.WithReference(PreferenceLoss.Sigmoid, pc, Vec(-2, -2.5), rc, Vec(-1.5, -3), beta: 0.1);
        result.Losses.sum().backward();
        double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        Near([-0.1 * Sigmoid(-0.1), -0.1 * Sigmoid(0.15)], pc.grad!);
        Assert.False(result.ChosenRewards.requires_grad);
    }
}
