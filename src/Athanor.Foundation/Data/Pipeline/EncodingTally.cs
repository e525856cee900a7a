namespace Athanor.Data.Pipeline;

/// <summary>Counts an encoding as samples stream past, ending in the same <see cref="EncodingReport"/> that
/// <see cref="SampleEncoder"/> gives for the whole list.</summary>
public sealed class EncodingTally
{
    private int _kept, _truncated, _noTargets, _promptOverCutoff;
    private long _tokens, _targets;

    public void Kept(int length, int targets)
    {
        _kept++;
        _tokens += length;
        _targets += targets;
    }

    public void Truncated() => _truncated++;

    public void DroppedNoTargets() => _noTargets++;

    public void DroppedPromptOverCutoff() => _promptOverCutoff++;

    public EncodingReport Report()
    {
        var dropped = new Dictionary<DroppedReason, int>();
        if (_noTargets > 0) dropped[DroppedReason.NoTrainedTokens] = _noTargets;
        if (_promptOverCutoff > 0) dropped[DroppedReason.PromptOverCutoff] = _promptOverCutoff;
        return new EncodingReport(_kept, _truncated, dropped, _tokens, _targets);
    }
}
