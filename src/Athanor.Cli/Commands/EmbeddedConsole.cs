using System.Security.Cryptography;
using Athanor.Node.Backend;
using Athanor.Node.Hosting;
using Athanor.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Athanor.Cli.Commands;

/// <summary>
/// `cluster train --console`: the web console of the embedded one-member cluster, on 127.0.0.1 and a free port, for as
/// long as the run lasts. Its token is made up for this run and printed once (only this machine can reach the port);
/// jobs submitted from it may read under the current folder and write under the run's output_dir.
/// </summary>
public static class EmbeddedConsole
{
    public static async Task<WebApplication> StartAsync(IJobBackend backend, string outputDir, Action<string> say)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(outputDir);
        var options = new NodeOptions { Token = token, DataRoots = [Environment.CurrentDirectory], OutputRoot = outputDir };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAthanorConsole(options, backend);
        var app = builder.Build();
        app.MapAthanorConsole();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        say($"web console: {address}{ConsoleSetup.Root} (log in with the token {token}; it lasts as long as this run)");
        return app;
    }
}
