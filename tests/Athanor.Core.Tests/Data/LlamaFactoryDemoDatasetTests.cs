using Athanor.Data;
using Athanor.Data.Formats;

namespace Athanor.Tests.Data;

/// <summary>Every LLaMA-Factory demo file loads with the record counts counted independently (jq length / wc -l).</summary>
public sealed class LlamaFactoryDemoDatasetTests
{
    [Theory]
    [InlineData("identity", 91)]
    [InlineData("alpaca_en_demo", 999)]
    [InlineData("alpaca_zh_demo", 1000)]
    [InlineData("glaive_toolcall_en_demo", 300)]
    public void SftDemoLoadsEveryRecord(string name, int expected)
    {
        var loaded = DatasetLoader.LoadConversations(DemoData.Options(name));

        Assert.Equal(expected, loaded.Train.Count);
        Assert.Empty(loaded.Validation);
        var report = Assert.Single(loaded.Report.Datasets);
        Assert.Equal(expected, report.RecordsRead);
        Assert.Equal(expected, report.Kept);
        Assert.Equal(0, report.Skipped);
    }

    [Fact]
    public void C4DemoLoadsAsPretrainingText()
    {
        var loaded = DatasetLoader.LoadPretrainingText(DemoData.Options("c4_demo"));

        Assert.Equal(300, loaded.Train.Count);
        Assert.StartsWith("Don\u2019t think you need all the bells and whistles? No problem.", loaded.Train[0]);
        Assert.EndsWith(" well researched to suit your functions.", loaded.Train[^1]);
    }

    [Fact]
    public void C4DemoAsSftFailsClearlyForLackOfAResponseColumn()
    {
        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(DemoData.Options("c4_demo")));

        Assert.Contains("c4_demo.jsonl:1:", ex.Message);
        Assert.Contains("no response column", ex.Message);
    }

    [Fact]
    public void AlpacaJoinsInstructionAndInputWithANewline()
    {
        var train = DatasetLoader.LoadConversations(DemoData.Options("alpaca_en_demo")).Train;

        Assert.Equal([ChatRoles.User, ChatRoles.Assistant], train[0].Messages.Select(m => m.Role));
        Assert.Equal("Describe a process of making crepes.", train[0].Messages[0].Content);
        Assert.Equal("Given the parameters of a triangle, find out its perimeter.\nSide 1 = 4\nSide 2 = 6\nSide 3 = 8", train[5].Messages[0].Content);
        Assert.Equal("Paraphrase the sentence to remove the cliche.\nTime waits for no one.", train[^1].Messages[0].Content);
        Assert.Equal("No one can stop time from moving forward.", train[^1].Messages[1].Content);
        Assert.All(train, c => Assert.Null(c.System));
        Assert.All(train, c => Assert.Null(c.Tools));
    }

    [Fact]
    public void ChineseTextIsDecodedIntact()
    {
        var train = DatasetLoader.LoadConversations(DemoData.Options("alpaca_zh_demo")).Train;

        Assert.Equal("识别并解释给定列表中的两个科学理论：细胞理论和日心说。", train[0].Messages[0].Content);
        Assert.StartsWith("细胞理论是生物科学的一个理论", train[0].Messages[1].Content);
    }

    [Fact]
    public void IdentityPlaceholdersAreKeptVerbatim()
    {
        var train = DatasetLoader.LoadConversations(DemoData.Options("identity")).Train;

        Assert.Equal("hi", train[0].Messages[0].Content);
        Assert.Equal("Hello! I am {{name}}, an AI assistant developed by {{author}}. How can I assist you today?", train[0].Messages[1].Content);
        Assert.All(train, c => Assert.Equal(2, c.Messages.Count));
    }

    [Fact]
    public void GlaiveToolCallsMapToFunctionAndObservationRoles()
    {
        var train = DatasetLoader.LoadConversations(DemoData.Options("glaive_toolcall_en_demo")).Train;

        Assert.Equal(
            ["user", "assistant", "user", "function", "observation", "assistant", "user", "assistant"],
            train[0].Messages.Select(m => m.Role));
        Assert.StartsWith("{\"name\": \"search_recipes\"", train[0].Messages[3].Content);
        Assert.StartsWith("[{\"name\": \"search_recipes\", \"description\": \"Search for recipes based on ingredients\"", train[0].Tools);
        Assert.Equal(276, train[0].Tools!.Length);
        Assert.Equal("[]", train[1].Tools); // a string column is kept verbatim, even "[]"
        // python: sum(len(r['conversations'])) == 1914 turns; counts per role 746/746/211/211.
        var roles = train.SelectMany(c => c.Messages).GroupBy(m => m.Role).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1914, roles.Values.Sum());
        Assert.Equal(746, roles[ChatRoles.User]);
        Assert.Equal(746, roles[ChatRoles.Assistant]);
        Assert.Equal(211, roles[ChatRoles.Function]);
        Assert.Equal(211, roles[ChatRoles.Observation]);
    }

    [Fact]
    public void QwenExampleDatasetListConcatenatesInOrderWithMaxSamples()
    {
        // qwen3_lora_sft.yaml: dataset: identity,alpaca_en_demo; max_samples: 1000 (per dataset).
        var loaded = DatasetLoader.LoadConversations(DemoData.Options("identity,alpaca_en_demo") with { MaxSamples = 1000 });

        Assert.Equal(91 + 999, loaded.Train.Count);
        Assert.Equal("hi", loaded.Train[0].Messages[0].Content);
        Assert.Equal("Describe a process of making crepes.", loaded.Train[91].Messages[0].Content);
        Assert.Equal(["identity", "alpaca_en_demo"], loaded.Report.Datasets.Select(d => d.Name));
    }

    [Fact]
    public void RealDatasetInfoListsEveryEntry()
    {
        var info = DatasetInfo.Load(DemoData.Dir);

        Assert.Equal("identity", info.Names[0]);
        Assert.Contains("c4_demo", info.Names);
        Assert.True(info.Names.Count > 100);
        var glaive = info.Get("glaive_toolcall_en_demo");
        Assert.Equal(DatasetFormatting.Sharegpt, glaive.Formatting);
        Assert.Equal("conversations", glaive.Columns.Messages);
        Assert.Equal("tools", glaive.Columns.Tools);
        Assert.Equal(SharegptTags.Default, glaive.Tags);
        var c4 = info.Get("c4_demo");
        Assert.Equal("text", c4.Columns.Prompt);
        Assert.Null(c4.Columns.Query); // a "columns" object replaces all defaults, as in LLaMA-Factory
        Assert.Null(c4.Columns.Response);
    }

    [Theory]
    [InlineData("alpaca_en", "hf_hub_url", "remote datasets are not supported offline; download it and use file_name")]
    [InlineData("mllm_demo", "columns.images", "multimodal datasets are not supported")]
    [InlineData("mllm_audio_demo", "columns.audios", "multimodal datasets are not supported")]
    [InlineData("mllm_video_demo", "columns.videos", "multimodal datasets are not supported")]
    public void UnsupportedRealEntriesFailOnlyWhenUsed(string name, string key, string reason)
    {
        var info = DatasetInfo.Load(DemoData.Dir); // loading the whole file is fine

        var ex = Assert.Throws<DatasetException>(() => info.Get(name));

        Assert.Contains($"dataset '{name}' {key}", ex.Message);
        Assert.Contains(reason, ex.Message);
    }
}
