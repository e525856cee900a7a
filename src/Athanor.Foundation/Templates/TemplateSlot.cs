namespace Athanor.Templates;

/// <summary>One piece of a LLaMA-Factory formatter: literal text (with a {{content}} placeholder), the bos/eos token, or a named token.</summary>
internal abstract record TemplateSlot
{
    public const string ContentPlaceholder = "{{content}}";

    public sealed record Text(string Value) : TemplateSlot;
    public sealed record Bos : TemplateSlot;
    public sealed record Eos : TemplateSlot;
    public sealed record Token(string Value) : TemplateSlot;

    public static readonly TemplateSlot BosToken = new Bos();
    public static readonly TemplateSlot EosToken = new Eos();
}
