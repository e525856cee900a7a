using Athanor.Data;
using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>Accumulates token ids and labels segment by segment; prompt segments get label -100.</summary>
internal sealed class SampleBuilder
{
    private readonly List<int> _ids = new();
    private readonly List<int> _labels = new();
    private readonly ITokenizer _tokenizer;

    public SampleBuilder(ITokenizer tokenizer) => _tokenizer = tokenizer;

    public void AddText(string text, bool trained)
    {
        if (text.Length == 0) return;
        foreach (int id in _tokenizer.Encode(text, addSpecialTokens: false)) Add(id, trained);
    }

    public void Add(int id, bool trained)
    {
        _ids.Add(id);
        _labels.Add(trained ? id : TokenizedSample.IgnoreIndex);
    }

    public TokenizedSample Build() => new(_ids.ToArray(), _labels.ToArray());
}
