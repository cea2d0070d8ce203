using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dpm.Server.Agents;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Server.Tests.Agents;

/// <summary>The server's certificate authority: agent certificates from the agent's own request, accepted only from this authority and in their time.</summary>
public sealed class CertificateAuthorityTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dpm-ca-").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Authority_MadeOnce_KeptWithItsKeyReadableByTheServerOnly_AndOpenedAgain()
    {
        using var made = CertificateAuthority.LoadOrCreate(_folder, "backup1", _clock);
        using var opened = CertificateAuthority.LoadOrCreate(_folder, "backup1", _clock);

        Assert.Equal(made.Pin, opened.Pin);
        Assert.Equal(64, made.Pin.Length);
        Assert.True(opened.Certificate.HasPrivateKey);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_folder, "ca.key")));
    }

    [Fact]
    public void ClientCertificate_FromTheAgentsRequest_IsForTheTokensComputer_AndAccepted()
    {
        using var authority = CertificateAuthority.LoadOrCreate(_folder, "backup1", _clock);
        using var agentKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=claims-to-be-the-server", agentKey, HashAlgorithmName.SHA256).CreateSigningRequest();

        using var issued = authority.IssueClientCertificate(request, "fileserver1");

        Assert.Equal(("fileserver1", (string?)null), authority.Validate(issued));
        Assert.False(issued.HasPrivateKey); // the agent's key never left it
    }

    [Fact]
    public void ClientCertificate_OfAnotherAuthority_OutOfDate_OrMissing_Refused()
    {
        using var authority = CertificateAuthority.LoadOrCreate(_folder, "backup1", _clock);
        using var other = CertificateAuthority.LoadOrCreate(Path.Combine(_folder, "other"), "intruder", _clock);
        using var agentKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=x", agentKey, HashAlgorithmName.SHA256).CreateSigningRequest();
        using var foreign = other.IssueClientCertificate(request, "fileserver1");
        using var own = authority.IssueClientCertificate(request, "fileserver1");

        var fromOther = authority.Validate(foreign);
        _clock.Advance(TimeSpan.FromDays(400));
        var outOfDate = authority.Validate(own);

        Assert.Null(fromOther.ComputerName);
        Assert.Contains("is not one this server issued", fromOther.Problem, StringComparison.Ordinal);
        Assert.Null(outOfDate.ComputerName);
        Assert.Contains("out of date", outOfDate.Problem, StringComparison.Ordinal);
        Assert.Contains("attach the agent first", authority.Validate(null).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateRequest_Tampered_RefusedWithTheReason()
    {
        using var authority = CertificateAuthority.LoadOrCreate(_folder, "backup1", _clock);
        using var agentKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=x", agentKey, HashAlgorithmName.SHA256).CreateSigningRequest();
        request[^5] ^= 0x40; // inside the signature

        var error = Assert.Throws<ArgumentException>(() => authority.IssueClientCertificate(request, "fileserver1"));

        Assert.Contains("certificate request", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MutualTls_OverLoopback_EachSideKnowsTheOther_AndAForeignClientIsRefused()
    {
        using var authority = CertificateAuthority.LoadOrCreate(_folder, "backup1", _clock);
        using var serverCertificate = authority.IssueServerCertificate(["localhost", "127.0.0.1"]);
        using var agentKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issued = authority.IssueClientCertificate(new CertificateRequest("CN=x", agentKey, HashAlgorithmName.SHA256).CreateSigningRequest(), "fileserver1");
        using var agentCertificate = issued.CopyWithPrivateKey(agentKey);
        using var other = CertificateAuthority.LoadOrCreate(Path.Combine(_folder, "other"), "intruder", _clock);
        using var foreignIssued = other.IssueClientCertificate(new CertificateRequest("CN=x", agentKey, HashAlgorithmName.SHA256).CreateSigningRequest(), "fileserver1");
        using var foreignCertificate = foreignIssued.CopyWithPrivateKey(agentKey);

        Assert.Equal("fileserver1", await HandshakeAsync(authority, serverCertificate, agentCertificate));
        Assert.Null(await HandshakeAsync(authority, serverCertificate, foreignCertificate));
    }

    /// <summary>A TLS handshake on loopback: the server asks for a client certificate and accepts it only if the authority does; returns the computer it saw.</summary>
    private static async Task<string?> HandshakeAsync(CertificateAuthority authority, X509Certificate2 serverCertificate, X509Certificate2 clientCertificate)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string? seen = null;
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(accepted.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = serverCertificate,
                    ClientCertificateRequired = true,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                        authority.Validate(certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())).ComputerName is { } name && (seen = name) is not null,
                });
            }
            catch (AuthenticationException)
            {
                // refused: what the test looks for with a foreign certificate
            }
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var clientTls = new SslStream(client.GetStream());
        try
        {
            await clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    // the agent trusts the server's authority alone (pinned at attach)
                    using var pinned = new X509Chain();
                    pinned.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    pinned.ChainPolicy.CustomTrustStore.Add(authority.Certificate);
                    pinned.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is not null && pinned.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            });
            await clientTls.WriteAsync(new byte[] { 1 });
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            // the server closed the connection on a refused certificate
        }

        await serving;
        return seen;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
