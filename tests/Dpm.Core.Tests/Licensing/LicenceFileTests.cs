using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dpm.Core.Licensing;
using Dpm.Management;

namespace Dpm.Core.Tests.Licensing;

public sealed class LicenceFileTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly TestLicensing _licensing;

    public LicenceFileTests() => _licensing = new TestLicensing(_dir.Path);

    private DateTimeOffset Now => _licensing.Time.GetUtcNow();

    public void Dispose()
    {
        _licensing.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Verify_SignedByTrustedKey_ValidWithContent()
    {
        var text = _licensing.Issue(new ComputerCounts(1, 2, 3), licensee: "Fabrikam", id: "lic-1");

        var check = LicenceFile.Verify(text, _licensing.Trust.Key, Now);

        Assert.Equal(LicenceValidity.Valid, check.Validity);
        Assert.Equal("Fabrikam", check.Content!.Licensee);
        Assert.Equal(new ComputerCounts(1, 2, 3), check.Content.Computers);
    }

    [Fact]
    public void Verify_PastExpiry_Expired()
    {
        var text = _licensing.Issue(new ComputerCounts(0, 1, 0), validDays: 30);

        var check = LicenceFile.Verify(text, _licensing.Trust.Key, Now.AddDays(31));

        Assert.Equal(LicenceValidity.Expired, check.Validity);
        Assert.StartsWith("it expired on ", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SignatureFromAnotherKeyUnderTrustedKeyId_BadSignature()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = JsonNode.Parse(LicenceFile.Sign(
            new LicenceContent { Id = "x", Licensee = "Mallory", IssuedAt = Now, ExpiresAt = Now.AddYears(10), Computers = new(999, 999, 999) },
            forger))!.AsObject();
        forged["keyId"] = LicenceFile.KeyId(_licensing.Trust.Key);

        var check = LicenceFile.Verify(forged.ToJsonString(), _licensing.Trust.Key, Now);

        Assert.Equal(LicenceValidity.BadSignature, check.Validity);
        Assert.Null(check.Content);
        Assert.Contains("altered or forged", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SignedByUnknownKey_UnknownKey()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var text = LicenceFile.Sign(new LicenceContent { Id = "x", Licensee = "Other", IssuedAt = Now, ExpiresAt = Now.AddYears(1), Computers = new(1, 1, 1) }, other);

        var check = LicenceFile.Verify(text, _licensing.Trust.Key, Now);

        Assert.Equal(LicenceValidity.UnknownKey, check.Validity);
        Assert.Contains("not issued for this product", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_AnySingleByteTampered_NeverValid()
    {
        var bytes = Encoding.UTF8.GetBytes(_licensing.Issue(new ComputerCounts(1, 1, 1)));

        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            var check = LicenceFile.Verify(Encoding.UTF8.GetString(tampered), _licensing.Trust.Key, Now);
            Assert.True(check.Validity != LicenceValidity.Valid, $"flipping a bit of byte {i} ('{(char)bytes[i]}') left the licence valid");
            Assert.False(string.IsNullOrWhiteSpace(check.Message));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a licence")]
    [InlineData("{}")]
    [InlineData("""{"format":"dpm-licence/1","keyId":"a","payload":"b"}""")]
    [InlineData("""{"format":"other/1","keyId":"a","payload":"b","signature":"c"}""")]
    public void Verify_NotALicence_UnreadableWithReason(string text)
    {
        var check = LicenceFile.Verify(text, _licensing.Trust.Key, Now);

        Assert.Equal(LicenceValidity.Unreadable, check.Validity);
        Assert.False(string.IsNullOrWhiteSpace(check.Message));
    }
}
