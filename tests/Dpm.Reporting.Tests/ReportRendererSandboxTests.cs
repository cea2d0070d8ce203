using Dpm.Reporting.Tests.Support;

namespace Dpm.Reporting.Tests;

/// <summary>
/// Hostile templates, as a deployment's template folder could hold them: each is refused with a clear message that
/// says where, and nothing reaches files, the environment, .NET reflection, or the host's memory and time.
/// </summary>
public sealed class ReportRendererSandboxTests : IAsyncLifetime
{
    private SeededCatalog _catalog = null!;

    public async Task InitializeAsync() => _catalog = await SeededCatalog.CreateAsync();

    public Task DisposeAsync()
    {
        _catalog.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task RenderAsync_TemplateThatReadsFiles_Refused_NoFileContentEscapes()
    {
        var secret = Path.Combine(_catalog.Root, "secret.txt");
        File.WriteAllText(secret, "TOP-SECRET-PASSPHRASE");
        var attempts = new[]
        {
            $"{{{{ include '{secret}' }}}}",
            "{{ include '../secret.txt' }}",
            "{{ include '/etc/passwd' }}",
            "{{ include_join ['/etc/passwd'] }}",
            "{{ object.eval_template 'include \"/etc/passwd\"' }}",
            "{{ object.eval \"1 + 1\" }}",
            "{{ import '/etc/passwd' }}",
        };

        foreach (var attempt in attempts)
        {
            var problem = await RenderBrokenAsync(attempt);

            Assert.DoesNotContain("TOP-SECRET", problem.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("root:", problem.Message, StringComparison.Ordinal);
        }

        Assert.Contains($"no report template is named '{secret}'", (await RenderBrokenAsync(attempts[0])).Message, StringComparison.Ordinal);
        Assert.Contains("no report template is named '../secret.txt'", (await RenderBrokenAsync(attempts[1])).Message, StringComparison.Ordinal);
        Assert.EndsWith("Cannot get member with name eval_template.", (await RenderBrokenAsync(attempts[4])).Message, StringComparison.Ordinal); // removed from the built-ins
        Assert.EndsWith("Cannot get member with name eval.", (await RenderBrokenAsync(attempts[5])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_TemplateThatReadsTheEnvironment_Refused()
    {
        foreach (var attempt in new[] { "{{ env.HOME }}", "{{ environment.get_environment_variable 'HOME' }}", "{{ $HOME }}", "{{ system.environment }}" })
        {
            var problem = await RenderBrokenAsync(attempt);

            Assert.Contains("was not found", problem.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Environment.GetEnvironmentVariable("HOME") ?? "/root", problem.Message.Replace(_catalog.Root, "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RenderAsync_TemplateThatReachesForReflection_Refused()
    {
        foreach (var (attempt, member) in new[]
        {
            ("{{ status.GetType }}", "GetType"),
            ("{{ status.get_type }}", "get_type"),
            ("{{ status.get_type() }}", "get_type"),
            ("{{ status.jobs[0].GetType().Assembly }}", "GetType"),
            ("{{ period.from.get_type }}", "get_type"),
            ("{{ report.name.get_type }}", "get_type"),
            ("{{ status.to_string }}", "to_string"),
            ("{{ status.equality_contract }}", "equality_contract"),
        })
        {
            var problem = await RenderBrokenAsync(attempt);

            Assert.Contains($"Cannot get member with name {member}", problem.Message, StringComparison.Ordinal);
        }

        // What Scriban itself tells about a value is its kind, never a .NET type to go on from.
        Assert.Equal("object", await RenderAsync("{{ status | object.typeof }}"));
    }

    [Fact]
    public async Task RenderAsync_TemplateThatChangesItsData_Refused()
    {
        var problem = await RenderBrokenAsync("{{ status.total = 0 }}");
        var global = await RenderBrokenAsync("{{ status = 0 }}");

        Assert.Contains("readonly", problem.Message, StringComparison.Ordinal);
        Assert.Contains("readonly", global.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_InfiniteLoop_StoppedByTheLoopLimit()
    {
        foreach (var attempt in new[] { "{{ while true; end }}", "{{ for i in 1..10000000; end }}", "{{ for a in 1..1000; for b in 1..1000; end; end }}" })
        {
            var problem = await RenderBrokenAsync(attempt);

            Assert.Contains("limit `200000`", problem.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task RenderAsync_DeepRecursion_StoppedByTheRecursionLimit()
    {
        var function = await RenderBrokenAsync("{{ func f; ret f; end; f }}");
        _catalog.Options.TemplatesDirectory = _catalog.OverrideFolder;
        File.WriteAllText(Path.Combine(_catalog.OverrideFolder, "_loop.md.scriban"), "{{ include '_loop.md.scriban' }}");
        var include = await RenderBrokenAsync("{{ include '_loop.md.scriban' }}");

        Assert.Contains("recursive depth limit `64`", function.Message, StringComparison.Ordinal);
        Assert.Contains("recursive depth limit `64`", include.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_HugeOutputOrStrings_StoppedByTheirLimits()
    {
        var output = await RenderBrokenAsync("{{ line = 'x' | string.pad_left 1000; for i in 1..100000; line; end }}");
        var doubling = await RenderBrokenAsync("{{ s = 'xxxxxxxxxx'; for i in 1..40; s = s + s; end; s }}");
        var padding = await RenderBrokenAsync("{{ 'x' | string.pad_left 2000000000 }}");
        var repeat = await RenderBrokenAsync("{{ 'x' * 2000000000 }}");

        Assert.Contains("output", output.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("LimitToString", padding.Message, StringComparison.Ordinal);
        Assert.Contains("LimitToString", repeat.Message, StringComparison.Ordinal);
        Assert.Contains("LimitToString", doubling.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_TemplateThatRunsTooLongWithinItsLimits_StoppedByTheTimeLimit()
    {
        _catalog.Options.TimeLimit = TimeSpan.FromSeconds(1);

        // Each round hashes a megabyte: within every count limit, but hours of work in all.
        var problem = await RenderBrokenAsync("{{ s = 'x' | string.pad_left 1000000; for i in 1..200000; h = s | string.sha512; end }}");

        Assert.Contains("ran longer than its time limit (1 s)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_CatastrophicRegex_StoppedByTheRegexTimeOut()
    {
        var problem = await RenderBrokenAsync("{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' | regex.match '(a+)+$' }}");

        Assert.Contains("timed out", problem.Message, StringComparison.Ordinal);
    }

    /// <summary>Renders a one-line Markdown report of the deployment's; returns what it wrote.</summary>
    private async Task<string> RenderAsync(string template)
    {
        File.WriteAllText(Path.Combine(_catalog.OverrideFolder, "hostile.md.scriban"), template);
        var result = await _catalog.Renderer().RenderAsync("hostile", SeededCatalog.From, SeededCatalog.Until, ReportFormat.Md, CancellationToken.None);
        Assert.True(result.Succeeded, result.Problem?.Message);
        return System.Text.Encoding.UTF8.GetString(result.Report!.Content);
    }

    /// <summary>Renders a one-line Markdown report that must fail as a template error at its first line.</summary>
    private async Task<ReportProblem> RenderBrokenAsync(string template)
    {
        var path = Path.Combine(_catalog.OverrideFolder, "hostile.md.scriban");
        File.WriteAllText(path, template);

        var result = await _catalog.Renderer().RenderAsync("hostile", SeededCatalog.From, SeededCatalog.Until, ReportFormat.Md, CancellationToken.None);

        Assert.False(result.Succeeded, $"'{template}' rendered");
        Assert.Null(result.Report);
        Assert.Equal(ReportProblemKind.TemplateError, result.Problem!.Kind);
        Assert.NotNull(result.Problem.Location);
        Assert.StartsWith($"{result.Problem.Location.File}:{result.Problem.Location.Line}:{result.Problem.Location.Column}: ", result.Problem.Message, StringComparison.Ordinal);
        return result.Problem;
    }
}
