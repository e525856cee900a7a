namespace Athanor.Templates.Jinja;

/// <summary>Base of every error the Jinja interpreter raises.</summary>
public class JinjaException : Exception
{
    public JinjaException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The template text cannot be parsed; the message names the line and what was expected.</summary>
public sealed class JinjaSyntaxException : JinjaException
{
    public int Line { get; }

    public JinjaSyntaxException(string message, int line) : base($"template syntax error at line {line}: {message}") => Line = line;
}

/// <summary>Rendering failed (bad operand types, undefined attribute access, unknown filter...).</summary>
public sealed class JinjaRenderException : JinjaException
{
    public int Line { get; }

    public JinjaRenderException(string message, int line, Exception? inner = null)
        : base(line > 0 ? $"template error at line {line}: {message}" : $"template error: {message}", inner) => Line = line;
}

/// <summary>The template itself called raise_exception(message), as Hugging Face chat templates do to reject input.</summary>
public sealed class TemplateRaisedException : JinjaException
{
    public string TemplateMessage { get; }

    public TemplateRaisedException(string message) : base($"chat template raised an exception: {message}") => TemplateMessage = message;
}
