using System.Globalization;
using System.Text;

namespace Athanor.Serving.Engine;

/// <summary>Counters of the endpoint, written in Prometheus' text format on /metrics. Updated from any thread.</summary>
public sealed class ServingMetrics
{
    private readonly Lock _lock = new();
    private long _requests, _failedRequests, _promptTokens, _completionTokens, _ttftCount, _tokens;
    private double _ttftSum, _decodeSeconds;
    private int _batchSize;
    private long _cacheSlots;
    private double _roundTokensPerSecond;

    public void Request(bool ok)
    {
        lock (_lock) { _requests++; if (!ok) _failedRequests++; }
    }

    public void Usage(int prompt, int completion)
    {
        lock (_lock) { _promptTokens += prompt; _completionTokens += completion; }
    }

    public void FirstToken(TimeSpan sinceQueued)
    {
        lock (_lock) { _ttftCount++; _ttftSum += sinceQueued.TotalSeconds; }
    }

    /// <summary>One scheduler round: prefills and one decode step of every running sequence gave tokens in elapsed.</summary>
    public void Round(int running, TimeSpan elapsed, int tokens, long cacheSlots)
    {
        lock (_lock)
        {
            _batchSize = running;
            _tokens += tokens;
            _cacheSlots = cacheSlots;
            _decodeSeconds += elapsed.TotalSeconds;
            _roundTokensPerSecond = elapsed.TotalSeconds > 0 ? tokens / elapsed.TotalSeconds : 0;
        }
    }

    public string Prometheus()
    {
        var b = new StringBuilder();
        void Metric(string name, string type, string help, double value)
        {
            b.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            b.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            b.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        lock (_lock)
        {
            Metric("athanor_serving_requests_total", "counter", "Completion requests answered (any status).", _requests);
            Metric("athanor_serving_failed_requests_total", "counter", "Completion requests answered with an error.", _failedRequests);
            Metric("athanor_serving_prompt_tokens_total", "counter", "Prompt tokens of finished choices.", _promptTokens);
            Metric("athanor_serving_completion_tokens_total", "counter", "Tokens sampled for finished choices.", _completionTokens);
            Metric("athanor_serving_generated_tokens_total", "counter", "Tokens sampled by the scheduler (rate() gives tokens/s).", _tokens);
            Metric("athanor_serving_decode_seconds_total", "counter", "Seconds the scheduler spent stepping sequences.", _decodeSeconds);
            Metric("athanor_serving_time_to_first_token_seconds_sum", "counter", "Sum of queue-to-first-token times.", _ttftSum);
            Metric("athanor_serving_time_to_first_token_seconds_count", "counter", "Sequences that produced a first token.", _ttftCount);
            Metric("athanor_serving_batch_size", "gauge", "Sequences running after the last scheduler round.", _batchSize);
            Metric("athanor_serving_kv_cache_slots", "gauge", "Token slots the running batches' KV caches hold (rows x capacity).", _cacheSlots);
            Metric("athanor_serving_tokens_per_second", "gauge", "Tokens per second of the last scheduler round.", _roundTokensPerSecond);
        }
        return b.ToString();
    }
}
