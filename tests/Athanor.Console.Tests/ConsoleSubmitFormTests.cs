using Microsoft.Playwright;

namespace Athanor.Console.Tests;

/// <summary>
/// The submit page's form of the common keys against a real node: the dataset list comes from the data roots'
/// dataset_info.json, Check shows the planner's estimate, Preview data shows the first samples with the trained text
/// marked, Submit runs the job; the YAML it writes is the one the paste path validates; every bad input is shown at its
/// field with nothing queued, and a dataset whose file lies outside the roots is neither previewed nor submitted.
/// </summary>
[Collection(ConsoleNodeCollection.Name)]
public sealed class ConsoleSubmitFormTests(ConsoleNode node)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    // The tiny test model has no weights and no tokenizer: those keys, and the short run's, go in "Other keys".
    private const string Extra = "init: random\ntokenizer: byte\ntemplate: default\ncutoff_len: 96\nmax_samples: 40\nlogging_steps: 1\n" +
                                 "save_steps: 4\nper_device_train_batch_size: 1\ngradient_accumulation_steps: 4\nseed: 1";

    [Fact]
    public async Task The_form_checks_previews_and_submits_a_job_that_runs()
    {
        var model = ModelFolder("form-model");
        var page = await node.LoggedInPage();
        await page.GotoAsync("/console/submit");
        // The datasets offered are those of the data root's dataset_info.json.
        var options = await page.Locator("#f-dataset option").AllInnerTextsAsync();
        Assert.Contains(options, o => o.StartsWith("identity", StringComparison.Ordinal));
        Assert.Contains(options, o => o.StartsWith("dpo_en_demo (sharegpt, ranking)", StringComparison.Ordinal));
        await Fill(page, model, "identity", output: Path.Combine(node.Folders.OutputRoot, "form-run"));
        int before = await ConsolePages.JobCount(node);

        await page.ClickAsync("#f-check");
        Assert.Contains("GB per GPU", await page.InnerTextAsync("#memory-estimate"));
        var yaml = await page.TextContentAsync("#form-yaml") ?? "";
        Assert.Contains("finetuning_type: 'full'", yaml);
        Assert.Contains("max_steps: 4\n", yaml);
        Assert.Equal(before, await ConsolePages.JobCount(node));

        // The data preview: the first samples as the trainer sees them, the response (trained) marked.
        await page.ClickAsync("#f-preview");
        await page.WaitForSelectorAsync("#data-preview .sample");
        Assert.Equal(3, await page.Locator("#data-preview .sample").CountAsync());
        var trained = await page.Locator("#data-preview .sample[data-sample='1'] mark.trained").AllInnerTextsAsync();
        Assert.NotEmpty(trained);
        var whole = await page.InnerTextAsync("#data-preview .sample[data-sample='1'] pre");
        Assert.True(whole.Length > string.Concat(trained).Length, "the prompt is shown unmarked beside the trained response");
        Assert.Contains("samples: ", await page.InnerTextAsync("#preview-account"));
        Assert.Equal(before, await ConsolePages.JobCount(node));
        await ConsolePages.Screenshot(page, "console-submit-form");

        // The paste path validates the very YAML the form wrote, with the same answer.
        var estimate = await page.InnerTextAsync("#memory-estimate");
        await page.ClickAsync("#yaml-section > summary"); // folded after the form's post
        await page.FillAsync("#yaml", yaml);
        await page.ClickAsync("#check");
        Assert.Equal(estimate, await page.InnerTextAsync("#memory-estimate"));

        await page.GotoAsync("/console/submit");
        await Fill(page, model, "identity", output: Path.Combine(node.Folders.OutputRoot, "form-run"));
        await page.FillAsync("#f-name", "from the common keys");
        await page.ClickAsync("#f-submit");
        await page.WaitForURLAsync("**/console/jobs/*");
        await page.WaitForFunctionAsync("() => document.getElementById('job-state').textContent === 'succeeded'", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        Assert.Equal(4, await page.EvaluateAsync<int>("() => window.athanorConsole.points('loss')"));
        Assert.Equal(before + 1, await ConsolePages.JobCount(node));
    }

    [Theory]
    [InlineData("f-lr", null)]          // learning rate: banana
    [InlineData("f-output", null)]      // an output folder outside the output root
    [InlineData("f-model", null)]       // a model folder outside the data roots
    [InlineData("f-dataset", null)]     // a dataset name that is not in dataset_info.json
    [InlineData("f-extra", "max_stepz")] // an unknown key
    [InlineData("f-extra", null)]       // malformed YAML
    public async Task A_bad_value_is_shown_at_its_field_and_nothing_is_submitted(string field, string? key)
    {
        var model = ModelFolder("bad-form-model");
        var page = await node.LoggedInPage();
        await page.GotoAsync("/console/submit");
        await Fill(page, model, "identity", output: Path.Combine(node.Folders.OutputRoot, "bad-form"));
        switch (field)
        {
            case "f-lr": await page.FillAsync("#f-lr", "banana"); break;
            case "f-output": await page.FillAsync("#f-output", "/tmp/athanor-outside-the-root"); break;
            case "f-model": await page.FillAsync("#f-model", "/usr/lib"); break;
            case "f-dataset":
                // A name the list does not offer (a stale page, a hand-made request): the server still refuses it.
                await page.EvalOnSelectorAsync("#f-dataset", "s => { s.options[s.selectedIndex].value = s.value.split('|')[0] + '|no_such_dataset'; }");
                break;
            case "f-extra" when key is not null: await page.FillAsync("#f-extra", Extra + "\nmax_stepz: 3"); break;
            default: await page.FillAsync("#f-extra", Extra + "\n\"unclosed quote: 3"); break;
        }
        int before = await ConsolePages.JobCount(node);
        await page.ClickAsync("#f-submit");
        var error = page.Locator($".field-error[data-field='{field}']");
        await error.First.WaitForAsync();
        var message = await error.First.InnerTextAsync();
        if (key is not null) Assert.Contains(key, message);
        if (field == "f-dataset") Assert.Contains("no_such_dataset", message);
        if (field == "f-extra" && key is null) Assert.Contains("YAML", message);
        Assert.Contains("/console/submit", page.Url);
        Assert.Equal(before, await ConsolePages.JobCount(node));
        Assert.Equal(field == "f-lr" ? "banana" : "0.01", await page.InputValueAsync("#f-lr")); // what was typed is kept
        if (field == "f-lr") await ConsolePages.Screenshot(page, "console-submit-form-error");
    }

    [Fact]
    public async Task A_dataset_whose_file_lies_outside_the_roots_is_neither_previewed_nor_submitted()
    {
        // A secret beside the data root, and a dataset_info.json inside it that points at the secret twice: by "..", and by a link.
        var secret = Path.Combine(node.Folders.Root, "secret.json");
        File.WriteAllText(secret, """[{"instruction": "SECRET-INSTRUCTION-7731", "input": "", "output": "SECRET-OUTPUT-7731"}]""");
        var leaky = Path.Combine(node.Folders.DataRoot, "leaky-data");
        Directory.CreateDirectory(leaky);
        File.WriteAllText(Path.Combine(leaky, "dataset_info.json"), """{"dotdot": {"file_name": "../../secret.json"}, "linked": {"file_name": "link.json"}}""");
        if (!File.Exists(Path.Combine(leaky, "link.json"))) File.CreateSymbolicLink(Path.Combine(leaky, "link.json"), secret);
        var model = ModelFolder("leaky-model");
        var page = await node.LoggedInPage();
        int before = await ConsolePages.JobCount(node);
        foreach (var name in new[] { "dotdot", "linked" })
        {
            await page.GotoAsync("/console/submit");
            await Fill(page, model, name, output: Path.Combine(node.Folders.OutputRoot, "leaky"));
            await page.ClickAsync("#f-preview");
            var error = page.Locator(".field-error[data-field='f-dataset']");
            await error.First.WaitForAsync();
            Assert.Contains("outside", await error.First.InnerTextAsync());
            Assert.Equal(0, await page.Locator("#data-preview").CountAsync());
            Assert.DoesNotContain("SECRET-", await page.ContentAsync());
            await page.ClickAsync("#f-submit");
            await page.Locator(".field-error[data-field='f-dataset']").First.WaitForAsync();
        }
        Assert.Equal(before, await ConsolePages.JobCount(node));
    }

    /// <summary>The tiny test model under the data root.</summary>
    private string ModelFolder(string name)
    {
        node.Folders.WriteJob(name, maxSteps: 4, saveSteps: 4, worldSize: 1); // writes DATA_ROOT/name/model/config.json
        return Path.Combine(node.Folders.DataRoot, name, "model");
    }

    private static async Task Fill(IPage page, string model, string dataset, string output)
    {
        await page.FillAsync("#f-model", model);
        var option = page.Locator("#f-dataset option").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex($"^{dataset} \\(") });
        await page.SelectOptionAsync("#f-dataset", (await option.First.GetAttributeAsync("value"))!);
        await page.SelectOptionAsync("#f-method", "full");
        await page.FillAsync("#f-lr", "0.01");
        await page.FillAsync("#f-epochs", "1.0");
        await page.FillAsync("#f-steps", "4");
        await page.FillAsync("#f-world", "1");
        await page.SelectOptionAsync("#f-zero", "0");
        await page.FillAsync("#f-output", output);
        await page.FillAsync("#f-extra", Extra);
    }
}
