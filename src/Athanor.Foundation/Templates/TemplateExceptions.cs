namespace Athanor.Templates;

/// <summary>A template name that is neither "model" nor one of the named templates; the message lists the known names.</summary>
public sealed class UnknownTemplateException : ArgumentException
{
    public UnknownTemplateException(string message) : base(message) { }
}

/// <summary>The template's special markers are not single tokens of the tokenizer (a template for another model family).</summary>
public sealed class TemplateMismatchException : InvalidOperationException
{
    public TemplateMismatchException(string message) : base(message) { }
}

/// <summary>A conversation the template cannot format: unknown role, bad turn order, malformed tool call...</summary>
public sealed class ConversationFormatException : ArgumentException
{
    public ConversationFormatException(string message) : base(message) { }
}

/// <summary>A model chat template whose rendering cannot be split into prompt and assistant spans.</summary>
public sealed class TemplateSpanException : InvalidOperationException
{
    public TemplateSpanException(string message) : base(message) { }
}

/// <summary>A line of a JSONL input that cannot be rendered; the message starts with file:line.</summary>
public sealed class TemplateInputException : FormatException
{
    public TemplateInputException(string message, Exception? inner = null) : base(message, inner) { }
}
