namespace Athanor.Templates.Jinja;

/// <summary>The result of a render: the text and the character spans that {% generation %} blocks produced.</summary>
public sealed record JinjaRenderResult(string Text, IReadOnlyList<(int Start, int End)> GenerationSpans);

/// <summary>
/// A parsed Jinja2 template, compiled once and rendered many times, with the semantics Hugging Face chat templates rely
/// on (transformers' ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop controls).
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Node> _nodes;

    public JinjaTemplate(string source, JinjaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        _nodes = JinjaParser.Parse(JinjaLexer.Tokenize(source, options ?? JinjaOptions.ChatTemplate));
    }

    /// <summary>Clock behind strftime_now(); local time by default, as Python's datetime.now().</summary>
    public Func<DateTime> Now { get; init; } = () => DateTime.Now;

    public string Render(IReadOnlyDictionary<string, object?> variables) => RenderWithSpans(variables).Text;

    /// <param name="now">Overrides <see cref="Now"/> for this render.</param>
    public JinjaRenderResult RenderWithSpans(IReadOnlyDictionary<string, object?> variables, Func<DateTime>? now = null)
    {
        var scope = new JinjaScope(null);
        foreach (var (k, v) in variables) scope.Set(k, v);
        var interpreter = new JinjaInterpreter(new JinjaEnvironment(now ?? Now));
        string text = interpreter.Run(_nodes, scope);
        return new JinjaRenderResult(text, interpreter.GenerationSpans);
    }
}
