using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;

namespace Athanor.Cli.Tests.Serving;

/// <summary>`cluster serve-model` through the official OpenAI .NET client (and raw HTTP where the client has no call), against a real server process.</summary>
public class ServeModelTests(ServedModelFixture served) : IClassFixture<ServedModelFixture>
{
    private const string Question = "Who are you?";

    private ChatClient Chat(string model, string token = ServedModelFixture.Token) =>
        new(model, new ApiKeyCredential(token), new OpenAIClientOptions { Endpoint = new Uri(served.BaseUrl + "/v1") });

    private static ChatCompletionOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokenCount = maxTokens };

    private async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> Post(string path, string body)
    {
        var response = await served.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject(), response);
    }

    [Fact]
    public async Task ChatGreedyEqualsGenerateWithTheModelTemplate()
    {
        var expected = served.Generate(Question, 8, template: "model");
        ChatCompletion answer = await Chat("tiny").CompleteChatAsync([new UserChatMessage(Question)], Greedy(8));
        Assert.Equal(expected, answer.Content.Single().Text);
        Assert.Equal("tiny", answer.Model);
        Assert.True(answer.Usage.InputTokenCount > 0);
        Assert.InRange(answer.Usage.OutputTokenCount, 1, 8);
        Assert.Equal(answer.Usage.InputTokenCount + answer.Usage.OutputTokenCount, answer.Usage.TotalTokenCount);
        Assert.Equal(answer.Usage.OutputTokenCount == 8 ? ChatFinishReason.Length : ChatFinishReason.Stop, answer.FinishReason);
    }

    [Fact]
    public async Task CompletionGreedyEqualsGenerateAndHonoursN()
    {
        var expected = served.Generate("Hello", 10);
        var (status, body, _) = await Post("v1/completions", """{"model": "tiny", "prompt": "Hello", "max_tokens": 10, "temperature": 0, "n": 2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", body["object"]!.GetValue<string>());
        var choices = body["choices"]!.AsArray();
        Assert.Equal([0, 1], choices.Select(c => c!["index"]!.GetValue<int>()));
        Assert.All(choices, c => Assert.Equal(expected, c!["text"]!.GetValue<string>()));
        var usage = body["usage"]!;
        Assert.Equal(6, usage["prompt_tokens"]!.GetValue<int>()); // bos + 5 bytes, as generate encodes a plain prompt
        Assert.Equal(usage["prompt_tokens"]!.GetValue<int>() + usage["completion_tokens"]!.GetValue<int>(), usage["total_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task StreamedChatAddsUpToTheWholeAnswerAndEndsWithDone()
    {
        var whole = (await Chat("tiny").CompleteChatAsync([new UserChatMessage(Question)], Greedy(12))).Value;
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat("tiny").CompleteChatStreamingAsync([new UserChatMessage(Question)], Greedy(12)))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
        }
        Assert.Equal(whole.Content.Single().Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);

        // The wire format: data: lines of chat.completion.chunk, the usage chunk when asked, then data: [DONE].
        var response = await served.Http.PostAsync("v1/chat/completions", new StringContent(
            $$$"""{"model": "tiny", "messages": [{"role": "user", "content": "{{{Question}}}"}], "max_tokens": 12, "temperature": 0, "stream": true, "stream_options": {"include_usage": true}}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!.AsObject()).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        Assert.Equal(whole.Usage.OutputTokenCount, chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
    }

    [Fact]
    public async Task StopSequenceCutsTheTextBeforeIt()
    {
        var free = (await Chat("tiny").CompleteChatAsync([new UserChatMessage(Question)], Greedy(16))).Value.Content.Single().Text;
        Assert.True(free.Length >= 4, $"the tiny model's answer is too short to cut: '{free}'");
        var stop = free.Substring(2, 2);
        var cut = free[..free.IndexOf(stop, StringComparison.Ordinal)];
        var options = Greedy(16);
        options.StopSequences.Add(stop);
        var whole = (await Chat("tiny").CompleteChatAsync([new UserChatMessage(Question)], options)).Value;
        Assert.Equal(cut, whole.Content.Single().Text);
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);
        var streamed = new StringBuilder();
        await foreach (var update in Chat("tiny").CompleteChatStreamingAsync([new UserChatMessage(Question)], options))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
        Assert.Equal(cut, streamed.ToString());
    }

    [Fact]
    public async Task TwoAdaptersAndTheBaseDecodeTogether()
    {
        var expected = new Dictionary<string, string>
        {
            ["tiny"] = served.Generate(Question, 12, template: "model"),
            ["a"] = served.Generate(Question, 12, template: "model", adapter: served.AdapterA),
            ["b"] = served.Generate(Question, 12, template: "model", adapter: served.AdapterB),
        };
        Assert.NotEqual(expected["a"], expected["b"]); // the test can tell the adapters apart
        var models = await served.Http.GetFromJsonAsync<JsonObject>("v1/models");
        Assert.Equal(["tiny", "a", "b"], models!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));

        // Two rounds of all three at once: the scheduler interleaves them token by token.
        var names = new[] { "tiny", "a", "b", "b", "a", "tiny" };
        var answers = await Task.WhenAll(names.Select(n => Chat(n).CompleteChatAsync([new UserChatMessage(Question)], Greedy(12))));
        for (int i = 0; i < names.Length; i++)
            Assert.Equal(expected[names[i]], answers[i].Value.Content.Single().Text);
    }

    [Fact]
    public async Task BadRequestsGetOpenAiErrorsAndTheServerKeepsServing()
    {
        var unknown = await Assert.ThrowsAsync<ClientResultException>(() => Chat("gpt-4").CompleteChatAsync([new UserChatMessage(Question)], Greedy(4)));
        Assert.Equal(404, unknown.Status);
        Assert.Contains("the model 'gpt-4' does not exist; served: tiny, a, b", unknown.Message);
        var token = await Assert.ThrowsAsync<ClientResultException>(() => Chat("tiny", "wrong-token-0123456789").CompleteChatAsync([new UserChatMessage(Question)], Greedy(4)));
        Assert.Equal(401, token.Status);

        async Task Refused(string path, string body, HttpStatusCode status, string message, string? param)
        {
            var (got, json, _) = await Post(path, body);
            Assert.Equal(status, got);
            var error = json["error"]!.AsObject();
            Assert.StartsWith(message, error["message"]!.GetValue<string>());
            Assert.Equal(param, error["param"]?.GetValue<string>());
            Assert.NotNull(error["type"]);
            Assert.True(error.ContainsKey("code"));
        }
        await Refused("v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [", HttpStatusCode.BadRequest,
            "the request body is not valid JSON: ", null);
        await Refused("v1/completions", """{"model": "tiny", "prompt": "x", "max_tokens": -1}""", HttpStatusCode.BadRequest, "'max_tokens' is -1; accepted: an integer >= 1", "max_tokens");
        await Refused("v1/completions", """{"model": "tiny", "prompt": "x", "temperature": 3}""", HttpStatusCode.BadRequest, "'temperature' is 3; accepted: a number from 0 to 2", "temperature");
        await Refused("v1/chat/completions", """{"model": "tiny", "messages": [{"role": "robot", "content": "x"}]}""", HttpStatusCode.BadRequest,
            "'messages[0].role' is \"robot\"; accepted: system, developer, user or assistant", "messages[0].role");
        await Refused("v1/completions", $$"""{"model": "tiny", "prompt": "{{new string('x', 4100)}}"}""", HttpStatusCode.BadRequest,
            "the prompt is 4101 tokens but the model's context is 4096; shorten it to leave room for new tokens", "prompt");
        await Refused("v1/completions", """{"model": "tiny", "prompt": "x", "n": 9}""", HttpStatusCode.BadRequest,
            "1 prompt(s) x n 9 = 9 sequences; this server decodes at most 8 at once (--max-batch + --max-queue)", "n");

        // A full server answers 429 with Retry-After: eight long sequences take every batch and queue slot
        // (ignore_eos keeps them decoding); their headers come back once they are queued.
        using (var busy = new HttpRequestMessage(HttpMethod.Post, "v1/completions"))
        {
            busy.Content = new StringContent("""{"model": "tiny", "prompt": "x", "n": 8, "max_tokens": 4000, "ignore_eos": true, "stream": true}""", Encoding.UTF8, "application/json");
            using var running = await served.Http.SendAsync(busy, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, running.StatusCode);
            var (status, json, response) = await Post("v1/completions", """{"model": "tiny", "prompt": "x"}""");
            Assert.Equal(HttpStatusCode.TooManyRequests, status);
            Assert.Equal("rate_limit_exceeded", json["error"]!["code"]!.GetValue<string>());
            Assert.Equal("1", response.Headers.RetryAfter!.ToString());
        } // the client hangs up: its sequences leave the batch at the next round

        // The OpenAI client retries 429 by itself (Retry-After); the server serves again once the hung-up sequences left.
        var after = await Chat("tiny").CompleteChatAsync([new UserChatMessage(Question)], Greedy(4));
        Assert.Equal(served.Generate(Question, 4, template: "model"), after.Value.Content.Single().Text);
    }

    [Fact]
    public async Task MetricsCountRequestsAndTokens()
    {
        await Chat("tiny").CompleteChatAsync([new UserChatMessage(Question)], Greedy(4));
        using var anonymous = new HttpClient();
        var text = await anonymous.GetStringAsync(served.BaseUrl + "/metrics");
        foreach (var name in new[] { "athanor_serving_requests_total", "athanor_serving_time_to_first_token_seconds_count", "athanor_serving_batch_size",
                     "athanor_serving_tokens_per_second", "athanor_serving_generated_tokens_total" })
            Assert.Contains("\n" + name + " ", "\n" + text);
        double Value(string name) => double.Parse(text.Split('\n').First(l => l.StartsWith(name + " "))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Value("athanor_serving_requests_total") >= 1);
        Assert.True(Value("athanor_serving_generated_tokens_total") >= 1);
    }
}
