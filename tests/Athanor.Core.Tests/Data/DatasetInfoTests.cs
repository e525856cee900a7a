using Athanor.Data.Formats;

namespace Athanor.Tests.Data;

public sealed class DatasetInfoTests : IDisposable
{
    private readonly TempDatasetDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private DatasetEntry Get(string entryJson, string name = "d")
    {
        _dir.Info($$"""{"{{name}}": {{entryJson}}}""");
        return DatasetInfo.Load(_dir.Path).Get(name);
    }

    [Fact]
    public void UnknownNameListsKnownNames()
    {
        _dir.Info("""{"alpha": {"file_name": "a.json"}, "beta": {"file_name": "b.json"}}""");
        var info = DatasetInfo.Load(_dir.Path);

        var ex = Assert.Throws<DatasetException>(() => info.Get("gamma"));

        Assert.Contains("undefined dataset 'gamma'", ex.Message);
        Assert.Contains("Known datasets: alpha, beta.", ex.Message);
        Assert.Contains("dataset_info.json", ex.Message);
    }

    [Theory]
    [InlineData("hf_hub_url")]
    [InlineData("ms_hub_url")]
    [InlineData("script_url")]
    public void RemoteEntryIsRejectedOffline(string key)
    {
        var ex = Assert.Throws<DatasetException>(() => Get($$"""{"{{key}}": "org/data", "file_name": "d.json"}"""));

        Assert.Contains($"dataset 'd' {key} = \"org/data\"", ex.Message);
        Assert.Contains("remote datasets are not supported offline; download it and use file_name", ex.Message);
    }

    [Fact]
    public void DefaultsMatchLlamaFactory()
    {
        var entry = Get("""{"file_name": "sub/d.json"}""");

        Assert.Equal(DatasetFormatting.Alpaca, entry.Formatting);
        Assert.Equal(DatasetColumns.Default, entry.Columns);
        Assert.Equal(("instruction", "input", "output"), (entry.Columns.Prompt, entry.Columns.Query, entry.Columns.Response));
        Assert.Equal(SharegptTags.Default, entry.Tags);
        Assert.Equal(Path.Combine(_dir.Path, "sub", "d.json"), entry.FullPath);
    }

    [Fact]
    public void TagsObjectReplacesAllTagDefaults()
    {
        var entry = Get("""{"file_name": "d.json", "formatting": "sharegpt", "columns": {"messages": "messages"}, "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}}""");

        Assert.Equal(new SharegptTags("role", "content", "user", "assistant", null, null, null), entry.Tags);
        Assert.Equal("messages", entry.Columns.Messages);
    }

    [Theory]
    [InlineData("""{"file_name": "d.json", "formatting": "openai"}""", "formatting = 'openai' is not supported; accepted: alpaca, sharegpt")]
    [InlineData("""{"file_name": 3}""", "file_name = 3; expected a string")]
    [InlineData("""{"formatting": "alpaca"}""", "has no file_name")]
    [InlineData("""{"file_name": "d.json", "ranking": "yes"}""", "ranking = \"yes\"; expected true or false")]
    [InlineData("""{"file_name": "d.json", "columns": {"answer": "a"}}""", "columns.answer is not a known column; accepted: prompt, query, response")]
    [InlineData("""{"file_name": "d.json", "formatting": "sharegpt", "tags": {"user_tag": "u"}}""", "has no role_tag")]
    [InlineData("""{"file_name": "d.json", "num_samples": 5}""", "num_samples = 5 is not supported")]
    [InlineData("""{"file_name": "d.json", "split": "test"}""", "split = 'test'")]
    [InlineData("""["d.json"]""", "entry is a JSON Array; expected an object with file_name")]
    public void BadEntriesNameTheKeyAndWhatIsAccepted(string entryJson, string expected)
    {
        var ex = Assert.Throws<DatasetException>(() => Get(entryJson));

        Assert.Contains(expected, ex.Message);
        Assert.Contains("dataset 'd'", ex.Message);
    }

    [Fact]
    public void MissingOrMalformedInfoFileIsReported()
    {
        var missing = Assert.Throws<DatasetException>(() => DatasetInfo.Load(_dir.Path));
        Assert.Contains("dataset_info.json: not found", missing.Message);

        _dir.Info("{\n  \"d\": {\"file_name\": \"d.json\",}\n}");
        var malformed = Assert.Throws<DatasetException>(() => DatasetInfo.Load(_dir.Path));
        Assert.Contains("dataset_info.json:2: not valid JSON", malformed.Message);
    }
}
