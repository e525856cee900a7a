using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Athanor.Configuration;

/// <summary>
/// YamlDotNet's event parser with bounded work: nesting deeper than <see cref="MaxDepth"/> or more than
/// <see cref="MaxAliases"/> aliases end the parse with a config error naming the limit, and the caller's
/// cancellation (a deadline) is honoured between events. The scanner's cost grows with the nesting depth of
/// what it has read so far (80,000 nested '[' took 15-33 s), so stopping at the limit keeps parsing linear.
/// </summary>
internal sealed class LimitedYamlParser(IParser inner, string sourceName, CancellationToken cancel) : IParser
{
    /// <summary>A job file is one flat mapping; an ignored key's value may nest a little.</summary>
    public const int MaxDepth = 64;

    /// <summary>Aliases are never expanded (no "billion laughs"); a job file has no reason to hold many.</summary>
    public const int MaxAliases = 64;

    private int _depth;
    private int _aliases;
    private long _events;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if ((++_events & 255) == 0)
            cancel.ThrowIfCancellationRequested();
        if (!inner.MoveNext())
            return false;
        switch (inner.Current)
        {
            case MappingStart or SequenceStart when ++_depth > MaxDepth:
                throw new ConfigException(sourceName, Line(inner.Current.Start), null,
                    $"YAML nested deeper than {MaxDepth} levels; a job file is one mapping of key: value");
            case MappingEnd or SequenceEnd:
                _depth--;
                break;
            case AnchorAlias when ++_aliases > MaxAliases:
                throw new ConfigException(sourceName, Line(inner.Current.Start), null,
                    $"more than {MaxAliases} YAML aliases (*name); write the values out");
        }
        return true;
    }

    private static int? Line(Mark mark) => mark.Line > 0 ? (int)mark.Line : null;
}
