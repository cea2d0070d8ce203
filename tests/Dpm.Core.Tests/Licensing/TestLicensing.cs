using System.Security.Cryptography;
using Dpm.Core.Licensing;
using Dpm.Management;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Dpm.Core.Tests.Licensing;

/// <summary>A licence issuer with its own key pair, and a licence service that trusts it.</summary>
public sealed class TestLicensing : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestLicensing(string directory, DateTimeOffset? now = null)
    {
        Directory = directory;
        Time = new FakeTimeProvider(now ?? new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        Trust = LicenceTrust.FromPem(_key.ExportSubjectPublicKeyInfoPem());
    }

    public string Directory { get; }

    public FakeTimeProvider Time { get; }

    public LicenceTrust Trust { get; }

    public string Issue(ComputerCounts computers, int validDays = 365, string licensee = "Contoso", string? id = null) =>
        LicenceFile.Sign(
            new LicenceContent
            {
                Id = id ?? $"lic-{Guid.NewGuid():N}",
                Licensee = licensee,
                IssuedAt = Time.GetUtcNow().AddDays(-1),
                ExpiresAt = Time.GetUtcNow().AddDays(validDays),
                Computers = computers,
            },
            _key);

    public LicenceService CreateService() =>
        new(
            new LicensingOptions { Directory = Directory },
            Trust,
            new JsonFileConsumptionStore(Path.Combine(Directory, "consumption.json")),
            Time,
            NullLogger<LicenceService>.Instance);

    public void Dispose()
    {
        _key.Dispose();
        Trust.Dispose();
    }
}
