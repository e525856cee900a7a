using Athanor.Cli.Commands;

namespace Athanor.Cli.Client;

/// <summary>
/// ~/.athanor/config: one "key = value" per line, '#' starts a comment. Keys: server, token, token_file,
/// ca_file, client_cert, client_key (docs/cli.md). A missing file is an empty one.
/// </summary>
public sealed class ClientConfigFile
{
    public static readonly string[] Keys = ["server", "token", "token_file", "ca_file", "client_cert", "client_key"];

    private readonly Dictionary<string, string> _values;

    private ClientConfigFile(string path, Dictionary<string, string> values)
    {
        Path = path;
        _values = values;
    }

    public string Path { get; }

    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("ATHANOR_CONFIG") is { Length: > 0 } p ? p
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".athanor", "config");

    public string? Get(string key) => _values.GetValueOrDefault(key);

    public static ClientConfigFile Load(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return new ClientConfigFile(path, values);
        int number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) throw new UsageException($"{path}:{number}: '{line}' is not key = value; e.g. server = http://head-node:50051");
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (!Keys.Contains(key)) throw new UsageException($"{path}:{number}: unknown key '{key}'; accepted: {string.Join(", ", Keys)}");
            if (value.Length == 0) throw new UsageException($"{path}:{number}: {key} has no value");
            values[key] = value;
        }
        return new ClientConfigFile(path, values);
    }

    /// <summary>~/x means x in the home folder; relative paths are relative to the config file's folder.</summary>
    public string ExpandHome(string value)
    {
        if (value.StartsWith("~/", StringComparison.Ordinal))
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value[2..]);
        return System.IO.Path.GetFullPath(value, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
    }
}
