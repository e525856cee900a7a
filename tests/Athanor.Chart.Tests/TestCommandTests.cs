using System.Text.RegularExpressions;

namespace Athanor.Chart.Tests;

/// <summary>
/// The README's test command is the one CI runs, and it brings what the tests need: on a fresh clone
/// `dotnet test Cluster.sln` alone failed the chart tests for want of Go and sprig, which only CI installed.
/// </summary>
public sealed class TestCommandTests
{
    private static string Repo(string path) => Path.Combine(ChartRenderer.RepoRoot, path);

    [Fact]
    public void The_readme_test_command_is_the_script_ci_runs()
    {
        var commands = Regex.Match(File.ReadAllText(Repo("README.md")), @"## The two commands.*?```\n(.*?)```", RegexOptions.Singleline).Groups[1].Value
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('#')[0].Trim()).ToList();
        Assert.Equal(["dotnet run --project src/Athanor.Cli -- train", "./test.sh"], commands);

        var ci = File.ReadAllLines(Repo(".ci/run")).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.Single(ci, l => l.TrimStart().StartsWith("./test.sh ", StringComparison.Ordinal));
        Assert.DoesNotContain(ci, l => l.Contains("dotnet test", StringComparison.Ordinal)); // CI runs nothing else

        var script = File.ReadAllLines(Repo("test.sh")).Select(l => l.Trim()).ToList();
        Assert.Contains("build/test-prerequisites.sh", script);
        Assert.Contains("exec dotnet test Cluster.sln \"$@\"", script);
    }

    [Fact]
    public void Every_test_project_is_in_the_solution_the_test_command_runs()
    {
        // A test project left out of Cluster.sln would silently never run in CI.
        var projects = Directory.GetDirectories(Repo("tests"))
            .Where(dir => File.Exists(Path.Combine(dir, Path.GetFileName(dir) + ".csproj"))).Select(Path.GetFileName).ToList();
        Assert.NotEmpty(projects);
        foreach (var project in projects)
            Assert.Contains($"{project}.csproj", File.ReadAllText(Repo("Cluster.sln")));
    }

    [Fact]
    public void Once_the_prerequisites_are_installed_the_check_finds_nothing_missing()
    {
        // This suite runs through ./test.sh, which installed what was missing: the check must agree that it is all
        // there (else every run would install again, or a wrong probe would hide a missing tool). It runs as nobody,
        // so that a test never installs anything: missing tools would be listed, not installed.
        // The script's text is passed (nobody may not read the checkout's files), with its path as $0, from which it
        // finds the repository (the npm validator's folder).
        string check = File.ReadAllText(Repo("build/test-prerequisites.sh"));
        string path = Repo("build/test-prerequisites.sh");
        var (code, stdout, stderr) = Environment.UserName == "root"
            ? ChartRenderer.Exec("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", "-c", check, path])
            : ChartRenderer.Exec("/bin/bash", ["-c", check, path]);
        Assert.True(code == 0, stderr);
        Assert.Equal("", stdout + stderr);
    }
}
