using System.Threading.Channels;
using Athanor.Inference;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Serving.Engine;

/// <summary>
/// One choice being decoded with its own KV cache, one token per <see cref="Step"/>: the first step runs the prompt
/// (prefill), each later one feeds the newest token, exactly as <see cref="Decoding.Generate"/> does for a batch of one,
/// so greedy text equals `cluster generate`'s. Only the scheduler thread calls Step and Dispose.
/// </summary>
public sealed class Sequence : IDisposable
{
    private readonly ServedModel _served;
    private readonly int[] _prompt;
    private readonly int _maxNew;
    private readonly IReadOnlySet<int> _stopIds;
    private readonly StopText _stopText;
    private readonly TokenSampler _sampler;
    private readonly ChannelWriter<SequenceEvent> _events;
    private readonly List<int> _tokens = [];
    private KvCache? _cache;
    private long _next = -1;
    private int _sampled, _sent;

    public Sequence(int choice, ServedModel served, int[] prompt, GenerationOptions options, IReadOnlyList<string> stops,
        ChannelWriter<SequenceEvent> events, CancellationToken cancel)
    {
        Choice = choice;
        _served = served;
        _prompt = prompt;
        _maxNew = Math.Min(options.MaxNewTokens, served.Model.Model.Config.MaxPositionEmbeddings - prompt.Length);
        _stopIds = options.StopTokenIds;
        _stopText = new StopText(stops);
        _sampler = new TokenSampler(options);
        _events = events;
        Cancel = cancel;
    }

    public int Choice { get; }
    public CancellationToken Cancel { get; }
    public bool Finished { get; private set; }

    public DateTime QueuedAt { get; } = DateTime.UtcNow;

    /// <summary>Set after the first token is sampled (time to first token).</summary>
    public DateTime? FirstTokenAt { get; private set; }

    /// <summary>Runs the model once (prefill or one decode step) and reports the sampled token's text.</summary>
    public void Step()
    {
        var model = _served.Model.Model;
        var device = model.OutputWeight.device;
        using (var scope = NewDisposeScope())
        {
            if (_cache is null)
            {
                _cache = new KvCache(model.Config, 1, _prompt.Length + _maxNew);
                var input = tensor(_prompt.Select(i => (long)i).ToArray(), device: device).view(1, _prompt.Length);
                var hidden = model.Hidden(input, _cache);
                _next = _sampler.Next(model.Logits(hidden.select(1, _prompt.Length - 1)))[0];
                FirstTokenAt = DateTime.UtcNow;
            }
            else
            {
                var input = tensor(new[] { _next }, device: device).view(1, 1);
                var hidden = model.Hidden(input, _cache);
                _next = _sampler.Next(model.Logits(hidden.select(1, 0)))[0];
            }
        }
        Accept((int)_next);
    }

    private void Accept(int token)
    {
        _sampled++;
        if (_stopIds.Contains(token))
        {
            Finish(Text(), FinishReason.Stop);
            return;
        }
        _tokens.Add(token);
        var text = Text();
        int stop = _stopText.FirstStop(text);
        if (stop >= 0) Finish(text[..stop], FinishReason.Stop);
        else if (_tokens.Count >= _maxNew) Finish(text, FinishReason.Length);
        else
        {
            int safe = Math.Max(_sent, _stopText.SafeLength(text));
            _events.TryWrite(new TextDelta(Choice, text[_sent..safe]));
            _sent = safe;
        }
    }

    private string Text() => _served.Model.Tokenizer.Decode(_tokens, skipSpecialTokens: true);

    private void Finish(string text, FinishReason reason)
    {
        Finished = true;
        if (text.Length > _sent) _events.TryWrite(new TextDelta(Choice, text[_sent..]));
        _events.TryWrite(new ChoiceFinished(Choice, text, _prompt.Length, _sampled, reason));
    }

    public void Fail(string message)
    {
        Finished = true;
        _events.TryWrite(new ChoiceFailed(Choice, message));
    }

    public void Dispose() => _cache?.Dispose();
}
