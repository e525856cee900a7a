using Athanor.Node.Backend;
using Athanor.Node.Hosting;
using Athanor.Node.Security;
using Athanor.Node.Services;
using Athanor.WebConsole.Api;
using Athanor.WebConsole.Assets;
using Athanor.WebConsole.Security;
using Athanor.WebConsole.Submission;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Athanor.WebConsole;

/// <summary>
/// Adds the web console to a node's HTTP app: Razor Pages under /console, its JSON and event-stream endpoints under
/// /console/api, and its embedded static files under /console/assets. It reads the same <see cref="IJobBackend"/> as
/// the gRPC service, checks the same bearer token and validates submissions with the same <see cref="SubmissionValidator"/>
/// against the same path roots, so it adds no job logic of its own.
/// </summary>
public static class ConsoleSetup
{
    public const string Root = "/console";

    /// <summary>
    /// Registers the console's services. <paramref name="options"/> are the node's gRPC options: their token and roots
    /// apply here too (an ArgumentException with a one-line message when they are unusable, as in NodeHost.Build).
    /// </summary>
    public static IServiceCollection AddAthanorConsole(this IServiceCollection services, NodeOptions options, IJobBackend backend)
    {
        NodeHost.Check(options);
        var token = options.Token is not null ? new BearerToken(options.Token) : BearerToken.FromFile(options.TokenFile!);
        var paths = new PathPolicy(options.DataRoots, options.OutputRoot, options.ReservedOutputFolders);
        services.AddSingleton(backend);
        services.AddSingleton(token);
        services.AddSingleton(paths);
        services.AddSingleton<SubmissionValidator>();
        services.AddSingleton<ConsoleSubmitter>();
        services.AddSingleton<DatasetCheck>();
        services.AddSingleton<DataRootsCatalog>();
        services.AddSingleton<DataPreviewer>();
        services.AddSingleton<Gpus.LocalGpus>();
        services.AddSingleton<JobFiles>();
        // Keys live in memory only: a restarted node asks for the login again and nothing is written to the home folder.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = ConsoleCookies.AntiforgeryCookie;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = Root;
            o.FormFieldName = "__csrf";
            o.HeaderName = "X-CSRF-TOKEN";
        });
        services.AddRazorPages().AddApplicationPart(typeof(ConsoleSetup).Assembly);
        return services;
    }

    /// <summary>Maps the console; call after <see cref="AddAthanorConsole"/> on the built app.</summary>
    public static WebApplication MapAthanorConsole(this WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Root), b => b.UseMiddleware<ConsoleAuthentication>());
        app.MapGet("/", () => Results.Redirect(Root + "/jobs"));
        app.MapGet(Root, () => Results.Redirect(Root + "/jobs"));
        EmbeddedAssets.Map(app, Root + "/assets");
        JobsApi.Map(app, Root + "/api");
        JobEventsStream.Map(app, Root + "/api");
        ClusterApi.Map(app, Root + "/api");
        JobResourcesApi.Map(app, Root + "/api");
        app.MapRazorPages();
        return app;
    }
}
