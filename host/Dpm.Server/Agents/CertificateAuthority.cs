using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Dpm.Server.Agents;

/// <summary>
/// The server's own certificate authority (ECDSA P-256, kept in the data directory, the key readable by the
/// server's user only). It signs the server's TLS certificate and, at attach, each agent's client certificate
/// from the agent's own certificate request (the agent's private key never leaves it). A client certificate is
/// accepted when it chains to this authority alone, is for client authentication and is in its validity.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private const string CertificateFile = "ca.crt";
    private const string KeyFile = "ca.key";
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private readonly TimeProvider _time;

    private CertificateAuthority(X509Certificate2 certificate, TimeProvider time)
    {
        Certificate = certificate;
        _time = time;
    }

    /// <summary>The authority's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The SHA-256 of the authority's certificate (hex): what an attach token pins.</summary>
    public string Pin => Convert.ToHexStringLower(SHA256.HashData(Certificate.RawData));

    /// <summary>Opens the authority kept in <paramref name="folder"/>, or makes one there (valid 20 years).</summary>
    public static CertificateAuthority LoadOrCreate(string folder, string serverName, TimeProvider time)
    {
        var certificatePath = Path.Combine(folder, CertificateFile);
        var keyPath = Path.Combine(folder, KeyFile);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            return new CertificateAuthority(X509Certificate2.CreateFromPemFile(certificatePath, keyPath), time);
        }

        Directory.CreateDirectory(folder);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=DpmPlugins authority of {serverName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(20));
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(certificatePath, created.ExportCertificatePem());
        return new CertificateAuthority(X509Certificate2.CreateFromPemFile(certificatePath, keyPath), time);
    }

    /// <summary>A TLS server certificate for these host names and addresses, valid one year, with a new key.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subjectNames = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (System.Net.IPAddress.TryParse(name, out var address))
            {
                subjectNames.AddIpAddress(address);
            }
            else
            {
                subjectNames.AddDnsName(name);
            }
        }

        var request = new CertificateRequest("CN=DpmPlugins server", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(subjectNames.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        using var issued = Sign(request, TimeSpan.FromDays(365));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// Signs an agent's PKCS#10 certificate request as a client certificate for <paramref name="computerName"/>
    /// (the name comes from the attach token, not from the request), valid one year.
    /// </summary>
    public X509Certificate2 IssueClientCertificate(byte[] certificateRequest, string computerName)
    {
        CertificateRequest signing;
        try
        {
            signing = CertificateRequest.LoadSigningRequest(certificateRequest, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"the certificate request can't be read or its signature is wrong: {ex.Message}", nameof(certificateRequest), ex);
        }

        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(computerName); // only a common name: whatever the name holds, it can't add a unit
        return Sign(ClientRequest(name.Build(), signing.PublicKey), TimeSpan.FromDays(365));
    }

    /// <summary>
    /// The client certificate of the server's own, in-process agent for its computer: made at each start with a
    /// key that never leaves memory, marked with its own unit so that no attached agent's certificate can pass for it.
    /// </summary>
    public X509Certificate2 IssueLocalAgentCertificate(string computerName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(computerName);
        name.AddOrganizationalUnitName(LocalAgentUnit);
        using var issued = Sign(ClientRequest(name.Build(), new PublicKey(key)), TimeSpan.FromDays(3650));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Whether a certificate <see cref="Validate"/> accepted is the server's own agent's.</summary>
    public static bool IsLocalAgent(X509Certificate2 certificate) =>
        certificate.SubjectName.EnumerateRelativeDistinguishedNames().Any(n => n.GetSingleElementType().Value == "2.5.4.11" && n.GetSingleElementValue() == LocalAgentUnit);

    private const string LocalAgentUnit = "dpm-server-agent";

    private static CertificateRequest ClientRequest(X500DistinguishedName subject, PublicKey key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], false));
        return request;
    }

    /// <summary>
    /// Whether a client certificate is one of this authority's agent certificates, in its validity: the computer
    /// it is for, or why not. (Whether that computer's agent was removed since is the catalog's to say.)
    /// </summary>
    public (string? ComputerName, string? Problem) Validate(X509Certificate2? presented)
    {
        if (presented is null)
        {
            return (null, "no client certificate: attach the agent first (dpm-agent attach)");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (!chain.Build(presented) || !chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(Certificate.RawData))
        {
            var status = string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return (null, $"the client certificate '{presented.Subject}' is not one this server issued, or it is out of date ({(status.Length > 0 ? status : "another authority")})");
        }

        return (presented.GetNameInfo(X509NameType.SimpleName, forIssuer: false), null);
    }

    private X509Certificate2 Sign(CertificateRequest request, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow();
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        return request.Create(Certificate, now.AddMinutes(-5), now + lifetime, serial);
    }

    public void Dispose() => Certificate.Dispose();
}
