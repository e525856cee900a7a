using Athanor.Node.Security;
using Athanor.WebConsole.Submission;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>Paste or upload a job YAML: "Check" validates and shows the memory estimate, "Submit" also queues it.</summary>
public sealed class SubmitModel(ConsoleSubmitter submitter, PathPolicy paths) : PageModel
{
    [BindProperty] public string Name { get; set; } = "";
    [BindProperty] public string Yaml { get; set; } = "";

    public SubmitOutcome? Outcome { get; private set; }
    public IReadOnlyList<string> DataRoots => paths.DataRoots;
    public string OutputRoot => paths.OutputRoot;

    public void OnGet() { }

    public Task<IActionResult> OnPostCheckAsync(CancellationToken cancel) => Run(submit: false, cancel);

    public Task<IActionResult> OnPostSubmitAsync(CancellationToken cancel) => Run(submit: true, cancel);

    private async Task<IActionResult> Run(bool submit, CancellationToken cancel)
    {
        Yaml = (Yaml ?? "").Replace("\r\n", "\n");
        Outcome = await submitter.RunAsync(Name ?? "", Yaml, "job.yaml", submit, cancel);
        if (!Outcome.Ok) Response.StatusCode = 422;
        else if (Outcome.Submitted is { } job) return Redirect($"/console/jobs/{job.Id}");
        return Page();
    }
}
