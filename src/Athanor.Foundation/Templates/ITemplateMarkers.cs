namespace Athanor.Templates;

/// <summary>Templates that know which special-token strings they emit (checked by <see cref="TemplateCompatibility"/>).</summary>
public interface ITemplateMarkers
{
    /// <summary>Strings the template writes that the tokenizer must know as single tokens (e.g. "&lt;|im_start|&gt;").</summary>
    IReadOnlyList<string> SpecialMarkers { get; }
}
