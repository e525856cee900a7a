using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Parallel;
using Athanor.Parallel.Agreement;

namespace Athanor.Tests.Parallel;

/// <summary>The group fingerprint: the pure comparison, the exchange over a real group, and what one rank puts in it.</summary>
public class GroupFingerprintTests
{
    private static RankFingerprint Rank(int rank, string node, params (string Key, string Value)[] entries) =>
        new(rank, node, entries.Select(e => new FingerprintEntry(e.Key, e.Value)).ToList());

    [Fact]
    public void RanksThatAgreeHaveNoDisagreement()
    {
        var same = new[] { ("build", "1.0 (abc)"), ("fused_kernels", "true") };
        Assert.Null(FingerprintDiff.Disagreement([Rank(0, "node-a", same), Rank(1, "node-b", same)]));
        Assert.Null(FingerprintDiff.Disagreement([Rank(0, "node-a", same)]));
    }

    [Fact]
    public void ADisagreementIsOneLineNamingTheKeyTheValuesAndTheNodes()
    {
        var line = FingerprintDiff.Disagreement([
            Rank(0, "node-a", ("build", "1"), ("fused_kernels", "true")),
            Rank(1, "node-b", ("build", "1"), ("fused_kernels", "false")),
        ]);
        Assert.Equal("ranks disagree on fused_kernels: true on node-a (rank 0), false on node-b (rank 1)", line);
    }

    [Fact]
    public void RanksAreGroupedByValueAndNodeAndTheOtherDisagreeingKeysAreCounted()
    {
        var ranks = new List<RankFingerprint>
        {
            Rank(2, "node-b", ("zero3_prefetch", "false"), ("model_config", "222")),
            Rank(0, "node-a", ("zero3_prefetch", "true"), ("model_config", "111")),
            Rank(1, "node-a", ("zero3_prefetch", "true"), ("model_config", "111")),
            Rank(3, "node-c", ("zero3_prefetch", "true"), ("model_config", "111")),
        };
        Assert.Equal("ranks disagree on zero3_prefetch: true on node-a (ranks 0, 1) and node-c (rank 3), false on node-b (rank 2) (and 1 more: model_config)",
            FingerprintDiff.Disagreement(ranks));
    }

    [Fact]
    public void TheNoteSaysWhyAndAKeyOneRankLacksIsADisagreement()
    {
        var ranks = new List<RankFingerprint>
        {
            new(0, "node-a", [new("fused_kernels", "true")]),
            new(1, "node-b", [new("fused_kernels", "false", "switched off on this node"), new("grad_bucket_mb", "100")]),
        };
        Assert.Equal("ranks disagree on fused_kernels: true on node-a (rank 0), false (switched off on this node) on node-b (rank 1) (and 1 more: grad_bucket_mb)",
            FingerprintDiff.Disagreement(ranks));
    }

    [Fact]
    public void TheExchangeOverARealGroupFailsEveryRankWithTheSameLine()
    {
        const int world = 3;
        var group = new LocalGroup(world, TimeSpan.FromSeconds(30));
        var results = new string?[world];
        var threads = Enumerable.Range(0, world).Select(rank => new Thread(() =>
        {
            using var collective = group.Join(rank);
            // Rank 2 has a longer fingerprint than the others: the exchange pads to the longest.
            var mine = rank == 2
                ? Rank(rank, "node-c", ("build", "1"), ("grad_bucket_mb", "50"), ("data_cache_key", new string('f', 32)))
                : Rank(rank, rank == 0 ? "node-a" : "node-b", ("build", "1"), ("grad_bucket_mb", "100"), ("data_cache_key", new string('f', 32)));
            try { GroupAgreement.Check(collective, mine); results[rank] = "agreed"; }
            catch (GroupMismatchException ex) { results[rank] = ex.Message; }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "the exchange hung"));
        Assert.All(results, r => Assert.Equal("ranks disagree on grad_bucket_mb: 100 on node-a (rank 0) and node-b (rank 1), 50 on node-c (rank 2)", r));
    }

    [Fact]
    public void TheExchangeReturnsEveryRanksFingerprintWhenTheyAgree()
    {
        var group = new LocalGroup(2, TimeSpan.FromSeconds(30));
        var seen = new IReadOnlyList<RankFingerprint>[2];
        var threads = Enumerable.Range(0, 2).Select(rank => new Thread(() =>
        {
            using var collective = group.Join(rank);
            seen[rank] = GroupAgreement.Check(collective, Rank(rank, $"node-{rank}", ("build", "1 (é)")));
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "the exchange hung"));
        Assert.Equal(["node-0", "node-1"], seen[1].Select(f => f.Node));
        Assert.Equal("1 (é)", seen[0][1].Entries[0].Value); // UTF-8 survives the float round trip
    }

    private static JobConfig Job(string extra = "") =>
        JobConfigLoader.Parse("model_name_or_path: ./model\ndataset: alpaca_en_demo\noutput_dir: out\n" + extra, "job.yaml", [], Path.GetTempPath()).Config;

    [Fact]
    public void ARanksFingerprintHoldsTheBuildEveryJobKeyTheModelAndTheData()
    {
        var mine = JobFingerprint.For(Job(), "0123abcd", "node-a", 0);
        var keys = mine.Entries.Select(e => e.Key).ToList();
        Assert.Equal("build", keys[0]);
        foreach (var key in new[] { "fused_kernels", "zero_stage", "zero3_prefetch", "zero3_overlap_reduce", "overlap_grad_reduce", "grad_bucket_mb",
                     "bf16", "learning_rate", "resume_from_checkpoint", "device", "model_config", "data_cache_key" })
            Assert.Contains(key, keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal("0123abcd", mine.Entries.Single(e => e.Key == "data_cache_key").Value);
        Assert.Equal("none", mine.Entries.Single(e => e.Key == "model_config").Value); // ./model has no config.json here
    }

    [Fact]
    public void AJobSettingOrANodeWithoutFusedKernelsShowsUpAsADisagreement()
    {
        var a = JobFingerprint.For(Job(), "k", "node-a", 0);
        Assert.Equal("ranks disagree on zero3_prefetch: true on node-a (rank 0), false on node-b (rank 1)",
            FingerprintDiff.Disagreement([a, JobFingerprint.For(Job("zero3_prefetch: false\n"), "k", "node-b", 1)]));
        Assert.Equal("ranks disagree on fused_kernels: true on node-a (rank 0), false (switched off on this node) on node-b (rank 1)",
            FingerprintDiff.Disagreement([a, JobFingerprint.For(Job(), "k", "node-b", 1, nodeRunsFusedKernels: false)]));
        // With the job's fused_kernels: false the node's own setting no longer matters.
        Assert.Null(FingerprintDiff.Disagreement([
            JobFingerprint.For(Job("fused_kernels: false\n"), "k", "node-a", 0),
            JobFingerprint.For(Job("fused_kernels: false\n"), "k", "node-b", 1, nodeRunsFusedKernels: false)]));
        Assert.StartsWith("ranks disagree on data_cache_key: k on node-a (rank 0), other on node-b (rank 1)",
            FingerprintDiff.Disagreement([a, JobFingerprint.For(Job(), "other", "node-b", 1)]));
    }

    [Fact]
    public void AFingerprintFromAnotherFormatIsAOneLineError()
    {
        var ex = Assert.Throws<GroupMismatchException>(() => RankFingerprint.FromUtf8("not json"u8.ToArray(), 3));
        Assert.StartsWith("rank 3 sent a fingerprint this build cannot read", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
