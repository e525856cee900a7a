namespace Athanor.Node.Security;

/// <summary>
/// The canonical path the operating system would open: symbolic links followed and "." / ".." applied
/// component by component, in that order. (Normalizing ".." first, as Path.GetFullPath does, is wrong
/// after a link: /roots/link/../x is the parent of the link's target, not /roots/x.)
/// Components that do not exist yet are kept as written.
/// </summary>
public static class RealPath
{
    private const int MaxLinks = 40; // Linux's own limit (ELOOP)

    /// <param name="path">A rooted path.</param>
    public static string Resolve(string path) => Walk(path, roots: null, $"'{path}': ").Path;

    /// <summary>
    /// Like <see cref="Resolve"/>, but looks at nothing outside <paramref name="roots"/> (resolved folders): a
    /// component inside a root may be a link and is looked at; a folder above a root is known to be a plain folder
    /// (the roots are resolved) and is not looked at; the first component outside both ends the walk untouched.
    /// Then Left is true and Path is the rest applied as text, for the message.
    /// </summary>
    /// <param name="path">A rooted path.</param>
    public static (string Path, bool Left) ResolveWithin(string path, IReadOnlyList<string> roots) => Walk(path, roots, "");

    /// <param name="roots">null: every component may be looked at</param>
    private static (string Path, bool Left) Walk(string path, IReadOnlyList<string>? roots, string loopPrefix)
    {
        if (!Path.IsPathRooted(path)) throw new ArgumentException($"'{path}' is not an absolute path", nameof(path));
        if (path.Contains('\0')) throw new ArgumentException("the path contains a NUL character", nameof(path));
        var pending = new Stack<string>();
        PushComponents(pending, path);
        string current = "/";
        int links = 0;
        while (pending.TryPop(out var part))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var candidate = current == "/" ? "/" + part : current + "/" + part;
            if (roots is not null && !roots.Any(r => IsUnder(candidate, r)))
            {
                if (roots.Any(r => IsUnder(r, candidate)))
                {
                    current = candidate; // a folder on the way to a root
                    continue;
                }
                return (Path.GetFullPath(string.Join('/', pending.Prepend(candidate))), true);
            }
            var target = LinkTarget(candidate);
            if (target is null)
            {
                current = candidate;
                continue;
            }
            if (++links > MaxLinks) throw new IOException($"{loopPrefix}more than {MaxLinks} symbolic links (a loop?)");
            if (Path.IsPathRooted(target)) current = "/";
            PushComponents(pending, target);
        }
        return (current, false);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or inside it (both already resolved).</summary>
    public static bool IsUnder(string path, string root) =>
        root == "/" || path == root || (path.Length > root.Length && path.StartsWith(root, StringComparison.Ordinal) && path[root.Length] == '/');

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // cannot look: treat as a plain name; opening it will fail the same way later
        }
    }
}
