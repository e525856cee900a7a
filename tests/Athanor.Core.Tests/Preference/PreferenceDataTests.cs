using Athanor.Configuration;
using Athanor.Data;
using Athanor.Data.Formats;
using Athanor.Data.Pipeline;
using Athanor.Preference;
using Athanor.Templates;
using ChatRoles = Athanor.Data.Formats.ChatRoles;
using Athanor.Tests.Data;
using Athanor.Tests.Data.Pipeline;
using Athanor.Tokenization;

namespace Athanor.Tests.Preference;

/// <summary>Ranking and KTO datasets load as LLaMA-Factory reads them and encode into pair rows that share the prompt.</summary>
public sealed class PreferenceDataTests
{
    private static readonly ByteTokenizer Tokenizer = new();
    private static readonly IChatTemplate Template = ChatTemplates.Get("default", Tokenizer);

    [Theory]
    [InlineData("dpo_en_demo", 300)]
    [InlineData("dpo_zh_demo", 300)]
    public void RankingDemoDatasetsLoadEveryPair(string name, int count)
    {
        var loaded = PreferenceDatasetLoader.LoadPairs(DemoData.Options(name));
        Assert.Equal(count, loaded.Train.Count);
        Assert.Equal(0, loaded.Report.TotalSkipped);
        Assert.All(loaded.Train, p => Assert.Equal(ChatRoles.User, p.Prompt.Turns[^1].Role));
    }

    [Fact]
    public void DpoEnDemoReadsPromptSystemAndBothResponses()
    {
        var pairs = PreferenceDatasetLoader.LoadPairs(DemoData.Options("dpo_en_demo")).Train;
        var first = pairs[0];
        Assert.Equal("Hi! I'd like to create a new language game simulating the first person perspective of a character named Angela.", first.Prompt.Turns[0].Content);
        Assert.StartsWith("That sounds like a fun and engaging idea! Here are some tips", first.Chosen.Content);
        Assert.StartsWith("Hello! I'd be happy to help you create a language game simul", first.Rejected.Content);
        Assert.Equal(ChatRoles.Assistant, first.Rejected.Role);
        // 80 records open with a system turn: it becomes the system prompt, not a turn.
        Assert.Equal(80, pairs.Count(p => p.Prompt.System is not null));
        Assert.Contains(pairs, p => p.Prompt.Turns.Count == 13);
    }

    [Fact]
    public void KtoEnDemoLoadsEveryExampleWithItsTag()
    {
        var loaded = PreferenceDatasetLoader.LoadFeedback(DemoData.Options("kto_en_demo"));
        Assert.Equal(300, loaded.Train.Count);
        Assert.Equal(150, loaded.Train.Count(e => e.Desirable));
        Assert.True(loaded.Train[0].Desirable);
        Assert.StartsWith("Ooh ooh ah ah! *giggle* Let me think", loaded.Train[0].Completion.Content);
        Assert.All(loaded.Train, e => Assert.Equal(ChatRoles.User, e.Prompt.Turns[^1].Role));
    }

    [Fact]
    public void ChosenAndRejectedShareTheRenderedPromptTokenForToken()
    {
        var pairs = PreferenceDatasetLoader.LoadPairs(DemoData.Options("dpo_en_demo")).Train;
        var tally = new EncodingTally();
        var rows = PreferenceEncoder.EncodePairs(pairs, Template, Tokenizer, cutoffLen: 1 << 20, OnBadRecord.Error, tally).ToList();
        Assert.Equal(300, rows.Count);
        Assert.Equal(0, tally.Report().Truncated);
        for (int i = 0; i < rows.Count; i++)
        {
            var (chosen, rejected, undesirable) = PreferenceRow.Split(rows[i]);
            Assert.False(undesirable);
            int prompt = Array.IndexOf(chosen.Labels, chosen.Labels.First(l => l >= 0));
            Assert.Equal(chosen.InputIds[..prompt], rejected.InputIds[..prompt]);
            Assert.All(chosen.Labels[..prompt], l => Assert.Equal(TokenizedSample.IgnoreIndex, l));
            Assert.All(rejected.Labels[..prompt], l => Assert.Equal(TokenizedSample.IgnoreIndex, l));
            // The responses are trained whole, and are the texts of the record.
            Assert.Equal(chosen.InputIds[prompt..], chosen.Labels[prompt..]);
            Assert.Equal(rejected.InputIds[prompt..], rejected.Labels[prompt..]);
            var whole = Template.Encode(pairs[i].Prompt.With(pairs[i].Chosen), Tokenizer);
            Assert.Equal(whole.InputIds, chosen.InputIds);
        }
    }

    [Theory]
    // A short response keeps its length; the prompt gets the rest.
    [InlineData(10, 3, 100, 10, 3)]
    [InlineData(150, 20, 100, 80, 20)]
    // A short prompt keeps its length; the response gets the rest.
    [InlineData(30, 200, 100, 30, 70)]
    // Both long: cut in proportion, int(100 * 60 / 160) = 37 for the response.
    [InlineData(100, 60, 100, 63, 37)]
    [InlineData(60, 60, 100, 50, 50)]
    public void InferSeqLenSplitsCutoffAsLlamaFactory(int source, int target, int cutoff, int expectedSource, int expectedTarget) =>
        Assert.Equal((expectedSource, expectedTarget), PreferenceEncoder.InferSeqLen(source, target, cutoff));

    [Fact]
    public void TruncationCutsTheSharedPromptOnceAndBothResponsesToTheLongersBudget()
    {
        var pairs = PreferenceDatasetLoader.LoadPairs(DemoData.Options("dpo_en_demo")).Train;
        const int cutoff = 256;
        var tally = new EncodingTally();
        var rows = PreferenceEncoder.EncodePairs(pairs, Template, Tokenizer, cutoff, OnBadRecord.Skip, tally).ToList();
        var report = tally.Report();
        Assert.True(report.Truncated > 50, $"only {report.Truncated} truncated");
        Assert.Equal(300, report.Kept + report.Dropped.GetValueOrDefault(DroppedReason.PromptOverCutoff));
        for (int i = 0; i < rows.Count; i++)
        {
            var (chosen, rejected, _) = PreferenceRow.Split(rows[i]);
            Assert.True(chosen.Length <= cutoff && rejected.Length <= cutoff, $"row {i}: {chosen.Length} and {rejected.Length} tokens");
        }
        // Pair 1 by hand: its prompt and the longer response, cut by infer_seqlen.
        var first = pairs[0];
        var c = PreferenceEncoder.Render(first.Prompt.With(first.Chosen), Template, Tokenizer);
        var r = PreferenceEncoder.Render(first.Prompt.With(first.Rejected), Template, Tokenizer);
        var (source, target) = PreferenceEncoder.InferSeqLen(c.Prompt.Length, Math.Max(c.Response.Length, r.Response.Length), cutoff);
        var (chosenRow, rejectedRow, _) = PreferenceRow.Split(rows[0]);
        Assert.Equal([.. c.Prompt[..source], .. c.Response[..Math.Min(target, c.Response.Length)]], chosenRow.InputIds);
        Assert.Equal([.. r.Prompt[..source], .. r.Response[..Math.Min(target, r.Response.Length)]], rejectedRow.InputIds);
    }

    [Fact]
    public void APromptLongerThanCutoffIsAnErrorNamingThePairOrCountedWhenSkipped()
    {
        var pairs = PreferenceDatasetLoader.LoadPairs(DemoData.Options("dpo_en_demo")).Train.Take(5).ToList();
        var longest = pairs.Select((p, i) => (Length: PreferenceEncoder.Render(p.Prompt.With(p.Chosen), Template, Tokenizer).Prompt.Length, Index: i)).Max();
        int cutoff = longest.Length - 1;
        var ex = Assert.Throws<DatasetException>(() => PreferenceEncoder.EncodePairs(pairs, Template, Tokenizer, cutoff, OnBadRecord.Error, new EncodingTally()).ToList());
        Assert.Contains($"preference pair {longest.Index + 1}: its prompt alone is {longest.Length} tokens", ex.Message);
        Assert.Contains("on_bad_record: skip", ex.Message);

        var tally = new EncodingTally();
        var rows = PreferenceEncoder.EncodePairs(pairs, Template, Tokenizer, cutoff, OnBadRecord.Skip, tally).ToList();
        Assert.True(tally.Report().Dropped[DroppedReason.PromptOverCutoff] >= 1);
        Assert.Equal(5, rows.Count + tally.Report().Dropped[DroppedReason.PromptOverCutoff]);
    }

    [Fact]
    public void KtoRowsCarryTheTagAndTheKlCompletionOfThePreviousRecord()
    {
        var examples = PreferenceDatasetLoader.LoadFeedback(DemoData.Options("kto_en_demo")).Train;
        var rows = PreferenceEncoder.EncodeFeedback(examples, Template, Tokenizer, 1 << 20, OnBadRecord.Error, new EncodingTally()).ToList();
        Assert.Equal(300, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var (completion, kl, undesirable) = PreferenceRow.Split(rows[i]);
            Assert.Equal(!examples[i].Desirable, undesirable);
            Assert.Equal(TokenizedSample.IgnoreIndex, completion.Labels[0]);
            var other = examples[i == 0 ? rows.Count - 1 : i - 1];
            Assert.Equal(Template.Encode(examples[i].Prompt.With(examples[i].Completion), Tokenizer).InputIds, completion.InputIds);
            Assert.Equal(Template.Encode(examples[i].Prompt.With(other.Completion), Tokenizer).InputIds, kl.InputIds);
        }
    }

    [Fact]
    public void AlpacaRankingRecordsTakeChosenAndRejectedStrings()
    {
        using var dir = new TempDatasetDir();
        dir.Write("pairs.json", """[{"instruction": "Add", "input": "2 and 2", "chosen": "4", "rejected": "5"}, {"instruction": "Hi", "chosen": "Hello", "rejected": ""}]""");
        dir.Info("""{"pairs": {"file_name": "pairs.json", "ranking": true, "columns": {"prompt": "instruction", "query": "input", "chosen": "chosen", "rejected": "rejected"}}}""");
        var loaded = PreferenceDatasetLoader.LoadPairs(new DatasetLoadOptions { DatasetDir = dir.Path, Datasets = ["pairs"], OnBadRecord = OnBadRecord.Skip });
        var pair = Assert.Single(loaded.Train);
        Assert.Equal("Add\n2 and 2", pair.Prompt.Turns.Single().Content);
        Assert.Equal(("4", "5"), (pair.Chosen.Content, pair.Rejected.Content));
        Assert.Equal(1, loaded.Report.TotalSkipped); // the empty rejected response
    }

    [Theory]
    [InlineData("dpo_en_demo", "sft", "dataset 'dpo_en_demo' is a ranking dataset (chosen/rejected pairs); it trains with stage dpo")]
    [InlineData("kto_en_demo", "sft", "dataset 'kto_en_demo' has a kto_tag column; it trains with stage kto")]
    [InlineData("alpaca_en_demo", "dpo", "dataset 'alpaca_en_demo' is not a ranking dataset")]
    [InlineData("dpo_en_demo", "kto", "dataset 'dpo_en_demo' is a ranking dataset (chosen/rejected pairs); stage kto trains on single responses")]
    [InlineData("alpaca_en_demo", "kto", "dataset 'alpaca_en_demo' has no \"kto_tag\" in its \"columns\"")]
    public void ADatasetOfAnotherStageIsAnErrorNamingIt(string dataset, string stage, string expected)
    {
        using var temp = new TestPaths.TempFolder();
        var config = PipelineTestData.Job(temp.Path, DemoData.Dir, dataset, $"stage={stage}");
        var ex = Assert.Throws<DatasetException>(() => DataPipeline.Prepare(config, Tokenizer, _ => { }));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void ARankingDatasetWithoutChosenAndRejectedColumnsIsAnError()
    {
        using var dir = new TempDatasetDir();
        dir.Write("pairs.json", """[{"instruction": "Hi", "output": "Hello"}]""");
        dir.Info("""{"pairs": {"file_name": "pairs.json", "ranking": true}}""");
        var ex = Assert.Throws<DatasetException>(() => PreferenceDatasetLoader.LoadPairs(new DatasetLoadOptions { DatasetDir = dir.Path, Datasets = ["pairs"] }));
        Assert.Contains("dataset 'pairs' is a ranking dataset without \"chosen\" and \"rejected\"", ex.Message);
    }

    [Fact]
    public void ThePipelineCachesPairRowsAndServesThemBackEqual()
    {
        using var temp = new TestPaths.TempFolder();
        var config = PipelineTestData.Job(temp.Path, DemoData.Dir, "dpo_en_demo", "stage=dpo", "cutoff_len=1024", "max_samples=40", "on_bad_record=skip");
        var first = DataPipeline.Prepare(config, Tokenizer, _ => { });
        var again = DataPipeline.Prepare(config, Tokenizer, _ => { });
        Assert.False(first.FromCache);
        Assert.True(again.FromCache);
        Assert.Equal(40, again.Data.Train.Count + again.TrainReport.Dropped.GetValueOrDefault(DroppedReason.PromptOverCutoff));
        Assert.True(again.Data.Train.Count > 20);
        for (int i = 0; i < again.Data.Train.Count; i++)
            Assert.Equal(first.Data.Train[i].InputIds, again.Data.Train[i].InputIds);
        Assert.All(again.Data.Train, row => PreferenceRow.Split(row));
    }
}
