using Athanor.Templates;

namespace Athanor.Cli.Commands;

/// <summary>`cluster data render`: {"messages": [...]} lines to the text a chat template makes of them.</summary>
public sealed class DataRenderCommand : ICommand
{
    private const string Command = "cluster data render";

    public string Name => "render";
    public string Summary => "JSONL conversations to chat-template text";
    public string Usage => $"""
        cluster data render --tokenizer DIR --template NAME --input FILE.jsonl [--output FILE]
          --tokenizer DIR   a Hugging Face tokenizer folder, or `byte`; gives bos/eos and, for `model`, the chat template
          --template NAME   `model` (the tokenizer's chat_template) or a LLaMA-Factory template name
          --input FILE      JSONL, one {"{"}"messages": [{"{"}"role": ..., "content": ...{"}"}, ...]{"}"} per line
                            (optional "system" and "tools")
          --output FILE     one JSON string per input line, the rendered text (default: stdout)
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader(Command, args, ["--tokenizer", "--template", "--input", "--output"], []);
        reader.AtMostPositionals(0, "flags only");
        var tokenizerDir = DataCommand.Required(reader, Command, "--tokenizer", "DIR (a tokenizer folder, or `byte`)");
        var template = DataCommand.Required(reader, Command, "--template", $"NAME; accepted: {string.Join(", ", ChatTemplates.Names)}");
        var input = DataCommand.Required(reader, Command, "--input", "FILE.jsonl");
        if (!File.Exists(input)) throw new FileNotFoundException($"{input}: the input file does not exist", input);
        var tokenizer = DataCommand.LoadTokenizer(tokenizerDir);
        ChatTemplates.Get(template, tokenizer); // an unknown name fails here, before any output is opened

        long lines = DataCommand.WriteOutput(reader.One("--output"), w =>
        {
            long n = 0;
            foreach (var line in TemplateRendering.RenderJsonl(template, tokenizer, input))
            {
                w.Write(line);
                w.Write('\n');
                n++;
            }
            return n;
        });
        Console.Error.WriteLine($"rendered {lines:N0} conversations with template {template}");
        return ExitCodes.Ok;
    }
}
