using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Athanor.Inference;
using Athanor.Serving.Engine;
using Microsoft.AspNetCore.Http;

namespace Athanor.Serving.Api;

/// <summary>POST /v1/chat/completions and /v1/completions: checks the body, queues one sequence per choice, answers whole or streamed.</summary>
public sealed class CompletionHandler(ModelCatalog catalog, DecodeScheduler scheduler, ServingMetrics metrics)
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task Handle(HttpContext context, bool chat)
    {
        var cancel = context.RequestAborted;
        bool ok = false;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            var request = CompletionRequest.Parse(CompletionRequest.ParseBody(await reader.ReadToEndAsync(cancel)), chat);
            var served = catalog.Find(request.Model) ?? throw new OpenAiException(404,
                $"the model '{request.Model}' does not exist; served: {string.Join(", ", catalog.Models.Select(m => m.Id))}", "model", "model_not_found");
            var prompts = Encode(served, request, chat);
            var events = Channel.CreateUnbounded<SequenceEvent>(new UnboundedChannelOptions { SingleReader = true });
            var sequences = new List<Sequence>();
            int seed = request.Seed ?? Random.Shared.Next();
            for (int p = 0; p < prompts.Count; p++)
                for (int i = 0; i < request.N; i++)
                    sequences.Add(new Sequence(p * request.N + i, served, prompts[p], Options(served, request, prompts[p], chat, seed + i), request.Stop, events.Writer, cancel));
            if (sequences.Count > scheduler.Capacity)
                throw new OpenAiException(400, $"{prompts.Count} prompt(s) x n {request.N} = {sequences.Count} sequences; this server decodes at most " +
                    $"{scheduler.Capacity} at once (--max-batch + --max-queue)", "n", "invalid_value");
            if (!scheduler.TryEnqueue(sequences))
            {
                context.Response.Headers.RetryAfter = "1";
                throw new OpenAiException(429, "the server is at its limit of queued sequences; retry shortly", code: "rate_limit_exceeded", type: "rate_limit_error");
            }
            var id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
            var response = new ResponseWriter(id, request.Model, chat, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            int promptTokens = prompts.Sum(p => p.Length);
            ok = request.Stream
                ? await Stream(context, response, events.Reader, sequences.Count, promptTokens, request.IncludeUsage, cancel)
                : await Whole(context, response, events.Reader, sequences.Count, promptTokens, cancel);
        }
        catch (OpenAiException ex)
        {
            await Error(context, ex.Status, ex.ToJson());
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away; its sequences leave the batch at the next round.
        }
        finally
        {
            metrics.Request(ok);
        }
    }

    private static List<int[]> Encode(ServedModel served, CompletionRequest request, bool chat)
    {
        var tokenizer = served.Model.Tokenizer;
        List<int[]> prompts;
        try
        {
            if (chat)
            {
                var template = served.Template ?? throw new OpenAiException(400,
                    $"the model '{served.Id}' has no chat template; use /v1/completions, or start serve-model with --template NAME", "messages", "no_chat_template");
                prompts = [ChatPrompt.Encode(request.Messages!, tokenizer, template)];
            }
            else prompts = request.Prompts!.Select(p => PromptEncoder.Encode(p, tokenizer)).ToList();
        }
        catch (Exception ex) when (ex is not OpenAiException and (ArgumentException or InvalidOperationException or Athanor.Templates.TemplateInputException))
        {
            throw new OpenAiException(400, $"the {(chat ? "messages" : "prompt")} cannot be encoded: {ex.Message}", chat ? "messages" : "prompt");
        }
        int context = served.Model.Model.Config.MaxPositionEmbeddings;
        foreach (var p in prompts)
        {
            if (p.Length == 0) throw new OpenAiException(400, "the prompt is empty after tokenization; give it some text", chat ? "messages" : "prompt");
            if (p.Length >= context)
                throw new OpenAiException(400, $"the prompt is {p.Length} tokens but the model's context is {context}; shorten it to leave room for new tokens",
                    chat ? "messages" : "prompt", "context_length_exceeded");
        }
        return prompts;
    }

    private static GenerationOptions Options(ServedModel served, CompletionRequest request, int[] prompt, bool chat, int seed)
    {
        int room = served.Model.Model.Config.MaxPositionEmbeddings - prompt.Length;
        return new GenerationOptions
        {
            // OpenAI's defaults: a chat answer may use the rest of the context; a legacy completion stops at 16 tokens.
            MaxNewTokens = Math.Min(request.MaxTokens ?? (chat ? room : 16), room),
            Temperature = request.Temperature,
            TopP = request.TopP,
            TopK = request.TopK,
            Seed = seed,
            // As `cluster generate`: eos ids always; the template's stop words for chat.
            StopTokenIds = request.IgnoreEos ? new HashSet<int>() : served.Model.StopTokenIds(chat ? served.Template : null),
        };
    }

    private async Task<bool> Whole(HttpContext context, ResponseWriter response, ChannelReader<SequenceEvent> events, int choices, int promptTokens, CancellationToken cancel)
    {
        var finished = new ChoiceFinished?[choices];
        for (int left = choices; left > 0;)
        {
            var e = await events.ReadAsync(cancel);
            if (e is ChoiceFailed failed) { await Error(context, 500, OpenAiException.Body(failed.Message, "server_error", null, null)); return false; }
            if (e is ChoiceFinished done) { finished[done.Choice] = done; left--; }
        }
        int completion = finished.Sum(f => f!.CompletionTokens);
        metrics.Usage(promptTokens, completion);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.Whole(finished!, promptTokens, completion).ToJsonString(Compact), cancel);
        return true;
    }

    private async Task<bool> Stream(HttpContext context, ResponseWriter response, ChannelReader<SequenceEvent> events, int choices, int promptTokens,
        bool includeUsage, CancellationToken cancel)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        async Task Send(JsonNode chunk)
        {
            await context.Response.WriteAsync("data: " + chunk.ToJsonString(Compact) + "\n\n", cancel);
            await context.Response.Body.FlushAsync(cancel);
        }
        if (response.Chat)
            for (int i = 0; i < choices; i++) await Send(response.Chunk(i, text: "", role: true, finish: null));
        int completion = 0;
        bool ok = true;
        for (int left = choices; left > 0;)
        {
            switch (await events.ReadAsync(cancel))
            {
                case TextDelta { Text.Length: > 0 } delta:
                    await Send(response.Chunk(delta.Choice, delta.Text, role: false, finish: null));
                    break;
                case ChoiceFinished done:
                    completion += done.CompletionTokens;
                    await Send(response.Chunk(done.Choice, response.Chat ? null : "", role: false, finish: done.Reason));
                    left--;
                    break;
                case ChoiceFailed failed:
                    // Headers are gone; an error event in OpenAI's shape is what its clients raise from a stream.
                    await Send(OpenAiException.Body(failed.Message, "server_error", null, null));
                    ok = false;
                    left--;
                    break;
            }
        }
        metrics.Usage(promptTokens, completion);
        if (includeUsage) await Send(response.UsageChunk(promptTokens, completion));
        await context.Response.WriteAsync("data: [DONE]\n\n", cancel);
        return ok;
    }

    public static async Task Error(HttpContext context, int status, JsonObject body)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Compact));
    }
}
