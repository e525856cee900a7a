namespace Athanor.Data.Pipeline;

/// <summary>Counts an encoding as samples stream past, ending in the same <see cref="EncodingReport"/> that
/// <see cref="SampleEncoder"/> gives for the whole list.</summary>
public sealed class EncodingTally
{
    private int _kept, _truncated, _noTargets;
    private long _tokens, _targets;

    public void Kept(int length, int targets)
    {
        _kept++;
        _tokens += length;
        _targets += targets;
    }

    public void Truncated() => _truncated++;

    public void DroppedNoTargets() => _noTargets++;

    public EncodingReport Report()
    {
        var dropped = _noTargets > 0 ? new Dictionary<DroppedReason, int> { [DroppedReason.NoTrainedTokens] = _noTargets } : [];
        return new EncodingReport(_kept, _truncated, dropped, _tokens, _targets);
    }
}
