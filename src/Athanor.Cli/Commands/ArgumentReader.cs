namespace Athanor.Cli.Commands;

/// <summary>
/// A small, strict reader of one command's arguments: declared flags only (--name value or --name=value),
/// repeatable flags, boolean switches and positionals, each misuse a one-line error naming what is accepted.
/// </summary>
public sealed class ArgumentReader
{
    private readonly string _command;
    private readonly Dictionary<string, List<string>> _values = [];
    private readonly HashSet<string> _switches = [];
    private readonly List<string> _positionals = [];

    public ArgumentReader(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> valueFlags, IReadOnlyCollection<string> switches)
    {
        _command = command;
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                if (arg.StartsWith('-') && arg.Length > 1 && arg != "-")
                    throw Unknown(arg, valueFlags, switches);
                _positionals.Add(arg);
                continue;
            }
            var (name, inline) = arg.IndexOf('=') is int eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (switches.Contains(name))
            {
                if (inline is not null) throw new UsageException($"{command}: {name} takes no value (got '{inline}')");
                _switches.Add(name);
            }
            else if (valueFlags.Contains(name))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"{command}: {name} needs a value"));
                if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
                list.Add(value);
            }
            else throw Unknown(name, valueFlags, switches);
        }
    }

    public IReadOnlyList<string> Positionals => _positionals;

    public bool Has(string flag) => _switches.Contains(flag);

    public IReadOnlyList<string> All(string flag) => _values.TryGetValue(flag, out var v) ? v : [];

    public string? One(string flag)
    {
        var all = All(flag);
        if (all.Count > 1) throw new UsageException($"{_command}: {flag} given {all.Count} times; it takes one value");
        return all.Count == 1 ? all[0] : null;
    }

    public void AtMostPositionals(int count, string what)
    {
        if (_positionals.Count > count)
            throw new UsageException($"{_command}: unexpected argument '{_positionals[count]}'; expected {what}");
    }

    private UsageException Unknown(string flag, IReadOnlyCollection<string> valueFlags, IReadOnlyCollection<string> switches)
    {
        var accepted = valueFlags.Concat(switches).Order().ToList();
        return new UsageException($"{_command}: unknown flag '{flag}'; accepted: {(accepted.Count == 0 ? "none" : string.Join(", ", accepted))}");
    }
}
