namespace Athanor.Tests;

internal static class TestPaths
{
    public static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    public static string Model(string name) => Data("Models", name);

    /// <summary>The repository's root (the folder holding Cluster.sln), for its examples and docs.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Cluster.sln above " + AppContext.BaseDirectory);
    }

    /// <summary>A fresh folder under the system temp dir, removed when disposed.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "athanor-test-" + Guid.NewGuid().ToString("N")[..12]);
        public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
        public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
    }
}
