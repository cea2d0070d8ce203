using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Dpm.Management;

/// <summary>An error answer of the management API (RFC 9457 problem details).</summary>
public sealed record ApiProblem(string Title, string? Detail, int Status);

/// <summary>The answer of a management API call: a value, or a problem that says what went wrong.</summary>
public sealed record ApiResult<T>(T? Value, ApiProblem? Problem)
{
    public bool Succeeded => Problem is null;
}

/// <summary>Typed client of the server's management API.</summary>
public sealed class DpmManagementClient(HttpClient http)
{
    public const string DefaultServerUrl = "http://127.0.0.1:5718";

    public Task<ApiResult<IReadOnlyList<PluginInfo>>> GetPluginsAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<PluginInfo>>(new HttpRequestMessage(HttpMethod.Get, "api/plugins"), cancellationToken);

    public Task<ApiResult<IReadOnlyList<PluginInfo>>> ScanPluginsAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<PluginInfo>>(new HttpRequestMessage(HttpMethod.Post, "api/plugins/scan"), cancellationToken);

    public Task<ApiResult<LicenceState>> GetLicencesAsync(CancellationToken cancellationToken) =>
        SendAsync<LicenceState>(new HttpRequestMessage(HttpMethod.Get, "api/licences"), cancellationToken);

    public Task<ApiResult<InstalledLicence>> InstallLicenceAsync(string licenceText, CancellationToken cancellationToken) =>
        SendAsync<InstalledLicence>(
            new HttpRequestMessage(HttpMethod.Post, "api/licences") { Content = new StringContent(licenceText, Encoding.UTF8, "text/plain") },
            cancellationToken);

    public Task<ApiResult<DataSourceInquiry>> InquireAsync(string? parent, CancellationToken cancellationToken) =>
        SendAsync<DataSourceInquiry>(new HttpRequestMessage(HttpMethod.Get, parent is null ? "api/datasources" : $"api/datasources?parent={Uri.EscapeDataString(parent)}"), cancellationToken);

    public Task<ApiResult<SynchronizationOutcome>> SynchronizeAsync(SynchronizationRequestDto request, CancellationToken cancellationToken) =>
        SendAsync<SynchronizationOutcome>(new HttpRequestMessage(HttpMethod.Post, "api/datasources/sync") { Content = Json(request) }, cancellationToken);

    public Task<ApiResult<ConsistencyCheckResultDto>> CheckConsistencyAsync(ConsistencyCheckRequestDto request, CancellationToken cancellationToken) =>
        SendAsync<ConsistencyCheckResultDto>(new HttpRequestMessage(HttpMethod.Post, "api/datasources/check") { Content = Json(request) }, cancellationToken);

    public Task<ApiResult<IReadOnlyList<RecoveryPointSummary>>> GetRecoveryPointsAsync(string? dataSourceId, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<RecoveryPointSummary>>(
            new HttpRequestMessage(HttpMethod.Get, dataSourceId is null ? "api/recoverypoints" : $"api/recoverypoints?dataSource={Uri.EscapeDataString(dataSourceId)}"),
            cancellationToken);

    public Task<ApiResult<IReadOnlyList<Contracts.Workloads.RecoverableItem>>> GetRecoverableItemsAsync(string recoveryPointId, string? path, string? search, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<Contracts.Workloads.RecoverableItem>>(
            new HttpRequestMessage(HttpMethod.Get, $"api/recoverypoints/{Uri.EscapeDataString(recoveryPointId)}/items?path={Uri.EscapeDataString(path ?? "")}&search={Uri.EscapeDataString(search ?? "")}"),
            cancellationToken);

    public Task<ApiResult<Contracts.Workloads.RecoveryResult>> RecoverAsync(RecoveryRequestDto request, CancellationToken cancellationToken) =>
        SendAsync<Contracts.Workloads.RecoveryResult>(new HttpRequestMessage(HttpMethod.Post, "api/recover") { Content = Json(request) }, cancellationToken);

    public Task<ApiResult<PoolInfo>> GetPoolAsync(CancellationToken cancellationToken) =>
        SendAsync<PoolInfo>(new HttpRequestMessage(HttpMethod.Get, "api/pool"), cancellationToken);

    public Task<ApiResult<PoolVerification>> VerifyPoolAsync(double fraction, CancellationToken cancellationToken) =>
        SendAsync<PoolVerification>(new HttpRequestMessage(HttpMethod.Post, FormattableString.Invariant($"api/pool/verify?fraction={fraction}")), cancellationToken);

    public Task<ApiResult<string>> RebuildPoolIndexAsync(CancellationToken cancellationToken) =>
        SendAsync<string>(new HttpRequestMessage(HttpMethod.Post, "api/pool/rebuild-index"), cancellationToken);

    public Task<ApiResult<IReadOnlyList<AlertInfo>>> GetAlertsAsync(bool includeInactive, CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<AlertInfo>>(new HttpRequestMessage(HttpMethod.Get, includeInactive ? "api/alerts?all=true" : "api/alerts"), cancellationToken);

    public Task<ApiResult<AlertInfo>> ResolveAlertAsync(Guid id, string resolution, CancellationToken cancellationToken) =>
        SendAsync<AlertInfo>(new HttpRequestMessage(HttpMethod.Post, $"api/alerts/{id}/resolve") { Content = Json(new ResolveAlertDto { Resolution = resolution }) }, cancellationToken);

    public Task<ApiResult<PruneResult>> PruneAsync(CancellationToken cancellationToken) =>
        SendAsync<PruneResult>(new HttpRequestMessage(HttpMethod.Post, "api/prune"), cancellationToken);

    public Task<ApiResult<IReadOnlyList<JobInfo>>> GetJobsAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<JobInfo>>(new HttpRequestMessage(HttpMethod.Get, "api/jobs"), cancellationToken);

    public Task<ApiResult<JobInfo>> GetJobAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<JobInfo>(new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{id}"), cancellationToken);

    /// <summary>Asks for a queued or running job to be cancelled; returns the job as it is then (it stops shortly after).</summary>
    public Task<ApiResult<JobInfo>> CancelJobAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<JobInfo>(new HttpRequestMessage(HttpMethod.Post, $"api/jobs/{id}/cancel"), cancellationToken);

    public Task<ApiResult<CloudCopyResult>> CopyToCloudAsync(CancellationToken cancellationToken) =>
        SendAsync<CloudCopyResult>(new HttpRequestMessage(HttpMethod.Post, "api/cloud-copy"), cancellationToken);

    public Task<ApiResult<AttachTokenInfo>> IssueAttachTokenAsync(string computerName, CancellationToken cancellationToken) =>
        SendAsync<AttachTokenInfo>(new HttpRequestMessage(HttpMethod.Post, $"api/agents/{Uri.EscapeDataString(computerName)}/attach-token"), cancellationToken);

    public Task<ApiResult<IReadOnlyList<AgentInfo>>> GetAgentsAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<AgentInfo>>(new HttpRequestMessage(HttpMethod.Get, "api/agents"), cancellationToken);

    public Task<ApiResult<AgentInfo>> RemoveAgentAsync(string computerName, CancellationToken cancellationToken) =>
        SendAsync<AgentInfo>(new HttpRequestMessage(HttpMethod.Delete, $"api/agents/{Uri.EscapeDataString(computerName)}"), cancellationToken);

    /// <summary>A protected computer's network bandwidth usage throttling.</summary>
    public Task<ApiResult<AgentThrottle>> GetThrottleAsync(string computerName, CancellationToken cancellationToken) =>
        SendAsync<AgentThrottle>(new HttpRequestMessage(HttpMethod.Get, $"api/agents/{Uri.EscapeDataString(computerName)}/throttle"), cancellationToken);

    /// <summary>Sets a protected computer's network bandwidth usage throttling (all of it); returns it as the server keeps it.</summary>
    public Task<ApiResult<AgentThrottle>> SetThrottleAsync(string computerName, AgentThrottle throttle, CancellationToken cancellationToken) =>
        SendAsync<AgentThrottle>(new HttpRequestMessage(HttpMethod.Put, $"api/agents/{Uri.EscapeDataString(computerName)}/throttle") { Content = Json(throttle) }, cancellationToken);

    public Task<ApiResult<CatalogRebuildResult>> RebuildCatalogAsync(CancellationToken cancellationToken) =>
        SendAsync<CatalogRebuildResult>(new HttpRequestMessage(HttpMethod.Post, "api/catalog/rebuild"), cancellationToken);

    public Task<ApiResult<IReadOnlyList<ProtectionGroupInfo>>> GetProtectionGroupsAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ProtectionGroupInfo>>(new HttpRequestMessage(HttpMethod.Get, "api/protection-groups"), cancellationToken);

    public Task<ApiResult<ProtectionGroupInfo>> CreateProtectionGroupAsync(NewProtectionGroupDto request, CancellationToken cancellationToken) =>
        SendAsync<ProtectionGroupInfo>(new HttpRequestMessage(HttpMethod.Post, "api/protection-groups") { Content = Json(request) }, cancellationToken);

    public Task<ApiResult<ProtectionGroupInfo>> ChangeProtectionGroupAsync(string group, ProtectionPolicyChangeDto change, CancellationToken cancellationToken) =>
        SendAsync<ProtectionGroupInfo>(new HttpRequestMessage(HttpMethod.Patch, $"api/protection-groups/{Uri.EscapeDataString(group)}") { Content = Json(change) }, cancellationToken);

    public Task<ApiResult<ProtectionGroupInfo>> AddToProtectionGroupAsync(string group, GroupMemberDto member, CancellationToken cancellationToken) =>
        SendAsync<ProtectionGroupInfo>(new HttpRequestMessage(HttpMethod.Post, $"api/protection-groups/{Uri.EscapeDataString(group)}/datasources") { Content = Json(member) }, cancellationToken);

    public Task<ApiResult<ProtectionGroupInfo>> RemoveFromProtectionGroupAsync(string group, string dataSourceId, CancellationToken cancellationToken, string? computer = null) =>
        SendAsync<ProtectionGroupInfo>(
            new HttpRequestMessage(HttpMethod.Delete, $"api/protection-groups/{Uri.EscapeDataString(group)}/datasources?id={Uri.EscapeDataString(dataSourceId)}" + (computer is null ? "" : $"&computer={Uri.EscapeDataString(computer)}")),
            cancellationToken);

    /// <summary>The reports the server has templates for, and their formats.</summary>
    public Task<ApiResult<IReadOnlyList<ReportSummary>>> GetReportsAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ReportSummary>>(new HttpRequestMessage(HttpMethod.Get, "api/reports"), cancellationToken);

    /// <summary>
    /// Renders a report over a period (dates like <c>2026-11-23</c>, the end day included, or times; the server's
    /// defaults when null) in a format (html, csv, md). A broken template is a problem whose detail says file:line:column.
    /// </summary>
    public async Task<ApiResult<ReportFile>> GetReportAsync(string name, string? from, string? to, string format, CancellationToken cancellationToken)
    {
        var query = $"format={Uri.EscapeDataString(format)}" + (from is null ? "" : $"&from={Uri.EscapeDataString(from)}") + (to is null ? "" : $"&to={Uri.EscapeDataString(to)}");
        using var response = await http.GetAsync($"api/reports/{Uri.EscapeDataString(name)}?{query}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return new ApiResult<ReportFile>(null, await ReadProblemAsync(response, cancellationToken));
        }

        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var fileName = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? $"{name}.{format}";
        return new ApiResult<ReportFile>(new ReportFile(fileName, response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream", content), null);
    }

    /// <summary>The scheduled reports.</summary>
    public Task<ApiResult<IReadOnlyList<ReportScheduleInfo>>> GetReportSchedulesAsync(CancellationToken cancellationToken) =>
        SendAsync<IReadOnlyList<ReportScheduleInfo>>(new HttpRequestMessage(HttpMethod.Get, "api/report-schedules"), cancellationToken);

    /// <summary>Schedules a report; a report, format, recurrence, period or address that can't be is refused with the reason.</summary>
    public Task<ApiResult<ReportScheduleInfo>> CreateReportScheduleAsync(NewReportScheduleDto request, CancellationToken cancellationToken) =>
        SendAsync<ReportScheduleInfo>(new HttpRequestMessage(HttpMethod.Post, "api/report-schedules") { Content = Json(request) }, cancellationToken);

    /// <summary>Removes a scheduled report; returns it as it was.</summary>
    public Task<ApiResult<ReportScheduleInfo>> RemoveReportScheduleAsync(Guid id, CancellationToken cancellationToken) =>
        SendAsync<ReportScheduleInfo>(new HttpRequestMessage(HttpMethod.Delete, $"api/report-schedules/{id}"), cancellationToken);

    private static JsonContent Json<T>(T value) => JsonContent.Create(value, options: ManagementJson.Options);

    private async Task<ApiResult<T>> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var value = await response.Content.ReadFromJsonAsync<T>(ManagementJson.Options, cancellationToken);
                return new ApiResult<T>(value, null);
            }

            return new ApiResult<T>(default, await ReadProblemAsync(response, cancellationToken));
        }
    }

    private static async Task<ApiProblem> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var title = root.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
            return new ApiProblem(title ?? response.ReasonPhrase ?? "error", detail, (int)response.StatusCode);
        }
        catch (JsonException)
        {
            return new ApiProblem(response.ReasonPhrase ?? "error", body.Length > 0 ? body : null, (int)response.StatusCode);
        }
    }
}
