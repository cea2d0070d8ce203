using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dpm.Management;
using Dpm.Transfer;
using Microsoft.Extensions.Logging;

namespace Dpm.Agent;

/// <summary>
/// The agent's identity with its server, kept in <c>&lt;data directory&gt;/identity</c>: its private key (made
/// here, never sent), the client certificate the server signed at attach, the server's authority and address.
/// Attaching trusts only a server whose authority matches the token's pin; after that, every call is mutual
/// TLS with the server's authority as the only trusted root.
/// </summary>
internal sealed class AgentIdentity
{
    private const string KeyFile = "agent.key";
    private const string CertificateFile = "agent.crt";
    private const string AuthorityFile = "authority.crt";
    private const string ServerFile = "server.url";

    /// <summary>Where the identity is kept in the agent's data directory.</summary>
    public static string Folder(string dataDirectory) => Path.Combine(dataDirectory, "identity");

    /// <summary>Exchanges a one-time token for a client certificate; returns the computer name the server gave it.</summary>
    public static async Task<string> AttachAsync(string folder, Uri server, string token, CancellationToken cancellationToken)
    {
        if (AttachTokenFormat.Parse(token) is not { } parts)
        {
            throw new InvalidOperationException($"this is not an attach token (they look like {AttachTokenFormat.Scheme}.ID.SECRET.PIN; get one with 'dpm agent attach NAME')");
        }

        // Which server to trust: the authority it publishes must be the one the token pins. Nothing secret is sent
        // before that is settled.
        X509Certificate2 authority;
        using (var discovery = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = server })
        {
            try
            {
                authority = X509Certificate2.CreateFromPem(await discovery.GetStringAsync(new Uri("agent/authority", UriKind.Relative), cancellationToken));
            }
            catch (Exception ex) when (ex is HttpRequestException or CryptographicException)
            {
                throw new InvalidOperationException($"can't get the certificate authority of the server at {server}: {ex.Message}", ex);
            }
        }

        using (authority)
        {
            if (Convert.ToHexStringLower(SHA256.HashData(authority.RawData)) != parts.Pin)
            {
                throw new InvalidOperationException($"the server at {server} is not the one the token was made by (its certificate authority doesn't match the token): nothing was sent");
            }

            return await AttachTrustingAsync(folder, server, token, authority, cancellationToken);
        }
    }

    private static async Task<string> AttachTrustingAsync(string folder, Uri server, string token, X509Certificate2 authority, CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=dpm-agent", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && ReplicaConnection.ChainsTo(certificate, authority) };
        using var http = new HttpClient(handler) { BaseAddress = server };
        var response = await http.PostAsJsonAsync("agent/attach", new AttachRequest(token, request), ManagementJson.Options, cancellationToken);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var problem = await response.Content.ReadFromJsonAsync<ApiProblem>(ManagementJson.Options, cancellationToken);
                throw new InvalidOperationException($"the server refused to attach this agent: {problem?.Detail ?? response.ReasonPhrase}");
            }

            var attached = (await response.Content.ReadFromJsonAsync<AttachResponse>(ManagementJson.Options, cancellationToken))!;

            Directory.CreateDirectory(folder);
            var keyPath = Path.Combine(folder, KeyFile);
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(Path.Combine(folder, CertificateFile), attached.CertificatePem);
            File.WriteAllText(Path.Combine(folder, AuthorityFile), authority.ExportCertificatePem());
            File.WriteAllText(Path.Combine(folder, ServerFile), server.ToString());
            return attached.ComputerName;
        }
    }

    /// <summary>An HTTP client for the attached server: the agent's certificate, and the server's authority as the only root.</summary>
    public static HttpClient Connect(string folder)
    {
        var certificatePath = Path.Combine(folder, CertificateFile);
        if (!File.Exists(certificatePath))
        {
            throw new InvalidOperationException($"this agent is not attached ({certificatePath} is missing): run dpm-agent attach --server URL --token T");
        }

        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, Path.Combine(folder, KeyFile));
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, AuthorityFile)));
        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && ReplicaConnection.ChainsTo(presented, authority),
        };
        handler.ClientCertificates.Add(certificate);
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = new Uri(File.ReadAllText(Path.Combine(folder, ServerFile))) };
    }

    /// <summary>The data API of the attached server: the same certificate and trust as <see cref="Connect"/>.</summary>
    public static ReplicaConnection ConnectReplica(string folder, ILogger logger)
    {
        var certificatePath = Path.Combine(folder, CertificateFile);
        if (!File.Exists(certificatePath))
        {
            throw new InvalidOperationException($"this agent is not attached ({certificatePath} is missing): run dpm-agent attach --server URL --token T");
        }

        return new ReplicaConnection(
            new Uri(File.ReadAllText(Path.Combine(folder, ServerFile))),
            X509Certificate2.CreateFromPemFile(certificatePath, Path.Combine(folder, KeyFile)),
            X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, AuthorityFile))),
            logger);
    }

}
