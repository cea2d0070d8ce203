using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dpm.Management;

namespace Dpm.Agent;

/// <summary>What sending a heartbeat came to: the agent as the server now sees it, or why it was not taken.</summary>
internal sealed record HeartbeatResult(AgentInfo? Seen, string? Problem);

/// <summary>
/// Tells the attached server that this agent is alive, with its version and the workload plugins it loaded.
/// <c>dpm-agent heartbeat</c> sends one; <see cref="HeartbeatService"/> sends one every few minutes while the agent runs.
/// </summary>
internal static class Heartbeat
{
    /// <summary>This agent's version, as heartbeats report it.</summary>
    public static string Version => typeof(Heartbeat).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Sends one heartbeat over mutual TLS with the identity in <paramref name="identityFolder"/>.</summary>
    public static async Task<HeartbeatResult> SendAsync(string identityFolder, IReadOnlyList<string> plugins, CancellationToken cancellationToken)
    {
        try
        {
            using var http = AgentIdentity.Connect(identityFolder);
            using var response = await http.PostAsJsonAsync("agent/heartbeat", new AgentHeartbeat(Version, plugins), ManagementJson.Options, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var problem = await response.Content.ReadFromJsonAsync<ApiProblem>(ManagementJson.Options, cancellationToken);
                return new(null, $"the server refused this agent: {problem?.Detail ?? response.ReasonPhrase}");
            }

            return new(await response.Content.ReadFromJsonAsync<AgentInfo>(ManagementJson.Options, cancellationToken), null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or CryptographicException or JsonException or IOException or UnauthorizedAccessException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new(null, ex.Message);
        }
    }
}
