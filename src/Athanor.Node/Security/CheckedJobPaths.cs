using Athanor.Configuration;

namespace Athanor.Node.Security;

/// <summary>The node's roots as the loader's path resolver for one submission; collects the notes on relative paths.</summary>
public sealed class CheckedJobPaths(PathPolicy policy) : IJobPathResolver
{
    private readonly List<string> _notes = [];

    /// <summary>"key: 'relative' resolved to /full/path", one per relative path.</summary>
    public IReadOnlyList<string> Notes => _notes;

    public string Resolve(string key, string written, PathUse use)
    {
        var full = policy.Check(key, written, use, out var note);
        if (note is not null) _notes.Add(note);
        return full;
    }
}
