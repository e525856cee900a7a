using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Athanor.Configuration;

/// <summary>
/// Reads a LLaMA-Factory style YAML file (one flat mapping of key: value) into raw entries,
/// keeping each key's line. Works on YamlDotNet's event stream so that scalar quoting and
/// positions survive, and every structural problem gets its own message.
/// </summary>
internal static class YamlEntryReader
{
    public static List<RawEntry> Read(string yamlText, string sourceName, CancellationToken cancel = default)
    {
        var parser = new LimitedYamlParser(new Parser(new StringReader(yamlText)), sourceName, cancel);
        try
        {
            return ReadDocument(parser, sourceName);
        }
        catch (YamlException ex)
        {
            throw new ConfigException(sourceName, ToLine(ex.Start), null,
                $"YAML syntax error at column {ex.Start.Column}: {InputText.Shorten(LibraryMessage(ex))}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet fails this way (without a position) on some unclosed flow collections.
            var last = parser.Current?.End;
            throw new ConfigException(sourceName, last is { } m ? ToLine(m) : null, null,
                "YAML syntax error at or after this line: the text cannot be parsed; look for an unclosed [, { or quote");
        }
    }

    private static List<RawEntry> ReadDocument(IParser parser, string sourceName)
    {
        parser.Consume<StreamStart>();
        if (parser.Accept<StreamEnd>(out _))
            throw Empty(sourceName);
        parser.Consume<DocumentStart>();

        if (parser.TryConsume<Scalar>(out var top))
        {
            if (top.Style == ScalarStyle.Plain && YamlScalars.IsNull(top.Value))
                throw Empty(sourceName);
            throw new ConfigException(sourceName, ToLine(top.Start), null,
                $"the top level is the text {InputText.Quote(Shorten(top.Value))}, not a mapping; expected lines of key: value");
        }
        if (!parser.Accept<MappingStart>(out _))
            throw new ConfigException(sourceName, ToLine(parser.Current!.Start), null,
                "the top level is a list, not a mapping; expected lines of key: value");
        parser.MoveNext();

        var entries = new List<RawEntry>();
        var lines = new Dictionary<string, int?>(StringComparer.Ordinal);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            if (!parser.TryConsume<Scalar>(out var key))
                throw new ConfigException(sourceName, ToLine(parser.Current!.Start), null,
                    "a key is a list or mapping; expected plain key names such as learning_rate");
            var line = ToLine(key.Start);
            if (lines.TryGetValue(key.Value, out var firstLine))
                throw new ConfigException(sourceName, line, key.Value,
                    $"appears twice (first on line {firstLine}); keep one");
            lines[key.Value] = line;
            entries.Add(ReadValue(parser, key.Value, sourceName, line));
        }

        parser.Consume<DocumentEnd>();
        if (parser.Accept<DocumentStart>(out var second))
            throw new ConfigException(sourceName, ToLine(second.Start), null,
                "holds more than one YAML document (---); expected one mapping of key: value");
        return entries;
    }

    private static RawEntry ReadValue(IParser parser, string key, string sourceName, int? line)
    {
        if (parser.Accept<AnchorAlias>(out var alias))
            throw new ConfigException(sourceName, ToLine(alias.Start), key,
                $"YAML aliases (*{InputText.Shorten(alias.Value.Value)}) are not supported; write the value out");
        if (parser.TryConsume<Scalar>(out var scalar))
            return new RawEntry(key, RawKind.Scalar, scalar.Value, IsQuoted(scalar), [], sourceName, line);

        if (parser.TryConsume<SequenceStart>(out _))
        {
            var items = new List<string>();
            var nested = false;
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                if (parser.TryConsume<Scalar>(out var item))
                    items.Add(item.Value);
                else
                {
                    nested = true;
                    SkipNode(parser);
                }
            }
            return new RawEntry(key, nested ? RawKind.Nested : RawKind.Sequence, "", false, items, sourceName, line);
        }

        SkipNode(parser);
        return new RawEntry(key, RawKind.Nested, "", false, [], sourceName, line);
    }

    // Skips one node of any depth (used for values no Athanor key can take, such as an ignored key's mapping).
    private static void SkipNode(IParser parser)
    {
        var depth = 0;
        do
        {
            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    depth++;
                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
            parser.MoveNext();
        }
        while (depth > 0);
    }

    // A !!str tag makes a plain scalar a string, just like quotes do.
    private static bool IsQuoted(Scalar s) =>
        s.Style != ScalarStyle.Plain || (!s.Tag.IsEmpty && s.Tag.Value == "tag:yaml.org,2002:str");

    private static ConfigException Empty(string sourceName) =>
        new(sourceName, null, null, "the file is empty; expected a mapping of key: value such as model_name_or_path: ./model");

    private static int? ToLine(Mark mark) => mark.Line > 0 ? (int)mark.Line : null;

    // YamlDotNet prefixes its messages with "(Line: 3, Col: 7, Idx: 20) - (Line: ...): "; the position is already in ours.
    private static string LibraryMessage(YamlException ex)
    {
        var m = ex.Message;
        var cut = m.IndexOf("): ", StringComparison.Ordinal);
        return (m.StartsWith("(Line:", StringComparison.Ordinal) && cut >= 0 ? m[(cut + 3)..] : m).Trim();
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
