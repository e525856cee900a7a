using System.Threading.Channels;
using Athanor.Inference;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Serving.Engine;

/// <summary>
/// One choice being decoded: its prompt, sampler, stop rules and the text streamed so far. The scheduler runs its
/// prefill alone, then steps it inside the batch of its model (<see cref="ModelBatch"/>); only the scheduler thread
/// calls Prefill and Sample.
/// </summary>
public sealed class Sequence
{
    private readonly ServedModel _served;
    private readonly int[] _prompt;
    private readonly int _maxNew;
    private readonly IReadOnlySet<int> _stopIds;
    private readonly StopText _stopText;
    private readonly TokenSampler _sampler;
    private readonly ChannelWriter<SequenceEvent> _events;
    private readonly List<int> _tokens = [];
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
        Greedy = options.Temperature == 0;
        _events = events;
        Cancel = cancel;
    }

    public int Choice { get; }
    public CancellationToken Cancel { get; }
    public bool Finished { get; private set; }

    public DateTime QueuedAt { get; } = DateTime.UtcNow;

    /// <summary>Set after the first token is sampled (time to first token).</summary>
    public DateTime? FirstTokenAt { get; private set; }

    public ServedModel Served => _served;

    /// <summary>The last sampled token: the next decode step's input.</summary>
    public long Next { get; private set; } = -1;

    /// <summary>Greedy rows take the batch's argmax instead of their own sampler.</summary>
    public bool Greedy { get; }

    /// <summary>
    /// Runs the prompt alone (batch of one, no padding, as `cluster generate` does for one prompt), samples the first
    /// token and returns the cache for the scheduler to gather into the running batch.
    /// </summary>
    public KvCache Prefill()
    {
        var model = _served.Model.Model;
        var cache = new KvCache(model.Config, 1, _prompt.Length + _maxNew);
        try
        {
            using var scope = NewDisposeScope();
            var input = tensor(_prompt.Select(i => (long)i).ToArray(), device: model.OutputWeight.device).view(1, _prompt.Length);
            var hidden = model.Hidden(input, cache);
            Accept(_sampler.Next(model.Logits(hidden.select(1, _prompt.Length - 1)))[0]);
            FirstTokenAt = DateTime.UtcNow;
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    /// <summary>Samples this row's next token from its logits [1, V] (or takes the batch's argmax when greedy).</summary>
    public void Sample(Tensor rowLogits, long argmax) => Accept(Greedy ? argmax : _sampler.Next(rowLogits)[0]);

    private void Accept(long sampled)
    {
        Next = sampled;
        int token = (int)sampled;
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

}
