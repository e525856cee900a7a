using System.Net;
using System.Text.Json.Nodes;
using Athanor.Node.Security;
using Athanor.Serving.Api;
using Athanor.Serving.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Athanor.Serving.Hosting;

/// <summary>
/// The OpenAI-compatible HTTP server: GET /v1/models, POST /v1/chat/completions, POST /v1/completions, GET /metrics.
/// Every /v1 call carries "authorization: Bearer TOKEN" when a token file is given (the node's <see cref="BearerToken"/>).
/// </summary>
public sealed class ServingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ModelCatalog _catalog;
    private readonly DecodeScheduler _scheduler;

    private ServingServer(WebApplication app, ModelCatalog catalog, DecodeScheduler scheduler, Uri address)
    {
        _app = app;
        _catalog = catalog;
        _scheduler = scheduler;
        Address = address;
    }

    public Uri Address { get; }
    public IReadOnlyCollection<ServedModel> Models => _catalog.Models;

    public static async Task<ServingServer> StartAsync(ServingOptions options, CancellationToken cancel)
    {
        options = options.Validated();
        var token = options.TokenFile is null ? null : BearerToken.FromFile(options.TokenFile);
        var catalog = ModelCatalog.Load(options);
        var metrics = new ServingMetrics();
        var scheduler = new DecodeScheduler(options.MaxBatch, options.MaxQueue, metrics);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(options.Host), options.Port));
            var app = builder.Build();
            var handler = new CompletionHandler(catalog, scheduler, metrics);
            if (token is not null) app.Use((context, next) => Authorized(context, token) ? next(context) : Unauthorized(context));
            app.MapGet("/v1/models", (HttpContext context) => context.Response.WriteAsync(ModelList(catalog).ToJsonString()));
            app.MapPost("/v1/chat/completions", (HttpContext context) => handler.Handle(context, chat: true));
            app.MapPost("/v1/completions", (HttpContext context) => handler.Handle(context, chat: false));
            app.MapGet("/metrics", (HttpContext context) =>
            {
                context.Response.ContentType = "text/plain; version=0.0.4";
                return context.Response.WriteAsync(metrics.Prometheus());
            });
            app.MapFallback((HttpContext context) => CompletionHandler.Error(context, 404,
                OpenAiException.Body($"no route {context.Request.Method} {context.Request.Path}; served: GET /v1/models, POST /v1/chat/completions, POST /v1/completions, GET /metrics",
                    "invalid_request_error", null, "unknown_url")));
            await app.StartAsync(cancel);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ServingServer(app, catalog, scheduler, new Uri(bound));
        }
        catch
        {
            scheduler.Dispose();
            catalog.Dispose();
            throw;
        }
    }

    private static JsonObject ModelList(ModelCatalog catalog)
    {
        var data = new JsonArray();
        foreach (var m in catalog.Models)
            data.Add(new JsonObject
            {
                ["id"] = m.Id,
                ["object"] = "model",
                ["created"] = new DateTimeOffset(Directory.GetLastWriteTimeUtc(m.AdapterDir ?? m.Model.Folder)).ToUnixTimeSeconds(),
                ["owned_by"] = "athanor",
                ["root"] = m.Model.Folder,
                ["parent"] = m.AdapterDir is null ? null : catalog.Models.First(b => b.AdapterDir is null).Id,
            });
        return new JsonObject { ["object"] = "list", ["data"] = data };
    }

    private static bool Authorized(HttpContext context, BearerToken token)
    {
        if (context.Request.Path.StartsWithSegments("/metrics")) return true; // counts only, no prompt or text: scrapers need no token
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && token.Matches(header["Bearer ".Length..].Trim());
    }

    private static Task Unauthorized(HttpContext context) => CompletionHandler.Error(context, 401, OpenAiException.Body(
        "missing or wrong bearer token: send the header 'Authorization: Bearer TOKEN' with the token of serve-model's --token-file",
        "invalid_request_error", null, "invalid_api_key"));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _scheduler.Dispose();
        _catalog.Dispose();
    }
}
