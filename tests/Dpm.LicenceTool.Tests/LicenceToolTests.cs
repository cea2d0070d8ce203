using System.Runtime.Versioning;
using System.Security.Cryptography;
using Dpm.Core.Licensing;
using Dpm.Management;
using Dpm.Tests;

[assembly: SupportedOSPlatform("linux")]

namespace Dpm.LicenceTool.Tests;

public sealed class LicenceToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dpm-licence-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static Task<ProcessRunner.Result> RunAsync(params string[] args) => ProcessRunner.RunAsync("dpm-licence.dll", null, args);

    [Fact]
    public async Task KeygenIssueVerify_RoundTrip_LicenceValidForTheServerEngine()
    {
        Assert.Equal(0, (await RunAsync("keygen", "--private-key", PathOf("k.pem"), "--public-key", PathOf("p.pem"))).ExitCode);
        var issue = await RunAsync("issue", "--private-key", PathOf("k.pem"), "--licensee", "Contoso", "--expires", "2099-12-31",
            "--standard", "3", "--enterprise", "1", "--id", "lic-42", "--out", PathOf("c.lic"));
        var verify = await RunAsync("verify", PathOf("c.lic"), "--public-key", PathOf("p.pem"));

        Assert.Equal(0, issue.ExitCode);
        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("Valid: valid until 2099-12-31", verify.Output, StringComparison.Ordinal);
        using var trust = LicenceTrust.FromPem(File.ReadAllText(PathOf("p.pem")));
        var check = LicenceFile.Verify(File.ReadAllText(PathOf("c.lic")), trust.Key, DateTimeOffset.UtcNow);
        Assert.Equal(new ComputerCounts(0, 3, 1), check.Content!.Computers);
        Assert.Equal("lic-42", check.Content.Id);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PathOf("k.pem")));
    }

    [Fact]
    public async Task Keygen_PrivateKeyExists_RefusesToOverwrite()
    {
        await File.WriteAllTextAsync(PathOf("k.pem"), "keep me");

        var result = await RunAsync("keygen", "--private-key", PathOf("k.pem"), "--public-key", PathOf("p.pem"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("refusing to overwrite", result.Error, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(PathOf("k.pem")));
    }

    [Fact]
    public async Task Issue_WithPublicKey_RefusedClearly()
    {
        await RunAsync("keygen", "--private-key", PathOf("k.pem"), "--public-key", PathOf("p.pem"));

        var result = await RunAsync("issue", "--private-key", PathOf("p.pem"), "--licensee", "X", "--expires", "2099-01-01", "--client", "1", "--out", PathOf("x.lic"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("holds no private key", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("x.lic")));
    }

    [Theory]
    [InlineData("--client", "0", "2099-01-01", "give at least one of")]
    [InlineData("--standard", "-1", "2099-01-01", "none negative")]
    [InlineData("--standard", "1", "2001-01-01", "is not in the future")]
    public async Task Issue_BadCountsOrDate_RefusedClearly(string option, string count, string expires, string message)
    {
        await RunAsync("keygen", "--private-key", PathOf("k.pem"), "--public-key", PathOf("p.pem"));

        var result = await RunAsync("issue", "--private-key", PathOf("k.pem"), "--licensee", "X", "--expires", expires, option, count, "--out", PathOf("x.lic"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OtherKeysLicence_Invalid()
    {
        await RunAsync("keygen", "--private-key", PathOf("k.pem"), "--public-key", PathOf("p.pem"));
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(PathOf("o.lic"), LicenceFile.Sign(
            new LicenceContent { Id = "o", Licensee = "O", IssuedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddDays(1), Computers = new(1, 0, 0) }, other));

        var result = await RunAsync("verify", PathOf("o.lic"), "--public-key", PathOf("p.pem"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("UnknownKey:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_NotAKey_ClearError()
    {
        await File.WriteAllTextAsync(PathOf("junk.pem"), "junk");
        await File.WriteAllTextAsync(PathOf("x.lic"), "{}");

        var result = await RunAsync("verify", PathOf("x.lic"), "--public-key", PathOf("junk.pem"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not an EC key in PEM form", result.Error, StringComparison.Ordinal);
    }
}
