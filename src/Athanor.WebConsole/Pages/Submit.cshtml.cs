using Athanor.Node.Security;
using Athanor.WebConsole.Submission;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>
/// Submit a job: fill the form of the common keys (it writes a job YAML) or paste/upload one. "Check" validates and
/// shows the memory estimate, "Preview data" also shows the first samples with their trained spans, "Submit" queues it.
/// Both ways go through <see cref="ConsoleSubmitter"/>: the same validator, roots and dataset check.
/// </summary>
public sealed class SubmitModel(ConsoleSubmitter submitter, DataPreviewer previewer, DataRootsCatalog catalog, PathPolicy paths) : PageModel
{
    [BindProperty] public string Name { get; set; } = "";
    [BindProperty] public string Yaml { get; set; } = "";
    [BindProperty] public JobForm Form { get; set; } = new();

    /// <summary>"form" or "yaml": which of the two was posted (the other is folded); null on a fresh page (both open).</summary>
    public string? Mode { get; private set; }
    public SubmitOutcome? Outcome { get; private set; }
    public DataPreviewResult? Preview { get; private set; }
    /// <summary>The form's errors by field id (<see cref="JobForm.Fields"/>, f-name, f-extra).</summary>
    public Dictionary<string, List<FieldError>> FormErrors { get; } = [];
    /// <summary>The YAML the form wrote (shown, so it can be copied into a file or the paste box).</summary>
    public string? FormYaml { get; private set; }
    public int FormLines { get; private set; }
    public DataRootsCatalog.Contents Catalog { get; private set; } = new([], [], []);
    public IReadOnlyList<string> DataRoots => paths.DataRoots;
    public string OutputRoot => paths.OutputRoot;

    public void OnGet()
    {
        Catalog = catalog.Scan();
        Form.OutputDir = Path.Combine(paths.OutputRoot, "run-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss"));
        if (Catalog.ModelFolders.Count > 0) Form.Model = Catalog.ModelFolders[0];
    }

    public Task<IActionResult> OnPostCheckAsync(CancellationToken cancel) => RunYaml(Action.Check, cancel);
    public Task<IActionResult> OnPostPreviewAsync(CancellationToken cancel) => RunYaml(Action.Preview, cancel);
    public Task<IActionResult> OnPostSubmitAsync(CancellationToken cancel) => RunYaml(Action.Submit, cancel);
    public Task<IActionResult> OnPostFormCheckAsync(CancellationToken cancel) => RunForm(Action.Check, cancel);
    public Task<IActionResult> OnPostFormPreviewAsync(CancellationToken cancel) => RunForm(Action.Preview, cancel);
    public Task<IActionResult> OnPostFormSubmitAsync(CancellationToken cancel) => RunForm(Action.Submit, cancel);

    private enum Action { Check, Preview, Submit }

    private async Task<IActionResult> RunYaml(Action action, CancellationToken cancel)
    {
        Mode = "yaml";
        Yaml = (Yaml ?? "").Replace("\r\n", "\n");
        return await Finish(action, Yaml, Name, cancel);
    }

    private async Task<IActionResult> RunForm(Action action, CancellationToken cancel)
    {
        Mode = "form";
        var (yaml, formLines, problems) = Form.ToYaml();
        FormYaml = yaml;
        FormLines = formLines;
        if (problems.Count > 0)
        {
            foreach (var (field, message) in problems) AddFormError(field, new FieldError(field, null, null, message));
            Catalog = catalog.Scan();
            Response.StatusCode = 422;
            return Page();
        }
        return await Finish(action, yaml, Name, cancel);
    }

    private async Task<IActionResult> Finish(Action action, string yaml, string name, CancellationToken cancel)
    {
        Catalog = catalog.Scan();
        Outcome = await submitter.RunAsync(name ?? "", yaml, Mode == "form" ? "form.yaml" : "job.yaml", action == Action.Submit, cancel);
        if (!Outcome.Ok)
        {
            if (Mode == "form")
                foreach (var error in Outcome.Errors) AddFormError(JobForm.FieldOf(error, FormLines), error);
            Response.StatusCode = 422;
            return Page();
        }
        if (Outcome.Submitted is { } job) return Redirect($"/console/jobs/{job.Id}");
        if (action == Action.Preview) Preview = await previewer.RunAsync(Outcome.Validated!.Config, cancel);
        return Page();
    }

    private void AddFormError(string field, FieldError error)
    {
        if (!FormErrors.TryGetValue(field, out var list)) FormErrors[field] = list = [];
        list.Add(error);
    }
}
