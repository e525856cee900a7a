namespace Athanor.Data.Formats;

/// <summary>Which record keys hold what (dataset_info.json "columns"). A null column is not read.
/// As in LLaMA-Factory, giving a "columns" object replaces all defaults: unnamed columns become null.</summary>
public sealed record DatasetColumns(
    string? Prompt,
    string? Query,
    string? Response,
    string? History,
    string? Messages,
    string? System,
    string? Tools)
{
    /// <summary>Preference data (issue 23): the chosen response's column of a ranking dataset.</summary>
    public string? Chosen { get; init; }

    /// <summary>Preference data (issue 23): the rejected response's column of a ranking dataset.</summary>
    public string? Rejected { get; init; }

    /// <summary>KTO data (issue 23): the column of the desirable (true) / undesirable (false) tag.</summary>
    public string? KtoTag { get; init; }

    /// <summary>LLaMA-Factory's defaults when an entry has no "columns": alpaca instruction/input/output, sharegpt conversations.</summary>
    public static DatasetColumns Default { get; } = new("instruction", "input", "output", null, "conversations", null, null);

    /// <summary>Column keys this reader understands.</summary>
    public static IReadOnlyList<string> SupportedKeys { get; } =
        ["prompt", "query", "response", "history", "messages", "system", "tools", "chosen", "rejected", "kto_tag"];

    /// <summary>Column keys of multimodal datasets (rejected when such a dataset is used).</summary>
    public static IReadOnlyList<string> MultimodalKeys { get; } = ["images", "videos", "audios"];

}

/// <summary>Sharegpt role/content keys and role names (dataset_info.json "tags").
/// As in LLaMA-Factory, giving a "tags" object replaces all defaults: unnamed tags become null (that role is not accepted).</summary>
public sealed record SharegptTags(
    string RoleTag,
    string ContentTag,
    string? UserTag,
    string? AssistantTag,
    string? ObservationTag,
    string? FunctionTag,
    string? SystemTag)
{
    public static SharegptTags Default { get; } = new("from", "value", "human", "gpt", "observation", "function_call", "system");

    public static IReadOnlyList<string> SupportedKeys { get; } =
        ["role_tag", "content_tag", "user_tag", "assistant_tag", "observation_tag", "function_tag", "system_tag"];
}
