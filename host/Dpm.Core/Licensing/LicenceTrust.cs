using System.Security.Cryptography;

namespace Dpm.Core.Licensing;

/// <summary>The public key licence signatures are checked against.</summary>
public sealed class LicenceTrust : IDisposable
{
    /// <summary>The product's licence-signing public key, built into the host.</summary>
    public const string BuiltInPublicKeyPem = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQx76aJ0eYDUMgF5cMCWlakUyXYhu
        /up6eejMJi6G2pJ33q6ePbwsZQaypnpkAMxaPQ5GdCA37tszylPVib+MnQ==
        -----END PUBLIC KEY-----
        """;

    private LicenceTrust(ECDsa key) => Key = key;

    public ECDsa Key { get; }

    public static LicenceTrust BuiltIn() => FromPem(BuiltInPublicKeyPem);

    public static LicenceTrust FromPem(string publicKeyPem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        return new LicenceTrust(key);
    }

    public void Dispose() => Key.Dispose();
}
