using Athanor.Data.Formats;

namespace Athanor.Tests.Data;

internal static class DemoData
{
    /// <summary>The copied LLaMA-Factory data folder in the test output.</summary>
    public static string Dir { get; } = Path.Combine(AppContext.BaseDirectory, "TestData", "Data", "llamafactory");

    public static DatasetLoadOptions Options(string datasets) => new()
    {
        DatasetDir = Dir,
        Datasets = DatasetLoadOptions.ParseNameList(datasets),
    };
}
