using Dpm.Contracts;
using Dpm.Management;

namespace Dpm.Core.Tests.Licensing;

public sealed class LicenceServiceTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly TestLicensing _licensing;

    public LicenceServiceTests() => _licensing = new TestLicensing(_dir.Path);

    public void Dispose()
    {
        _licensing.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void GetState_NoLicence_EvaluationEveryTierFor180DaysFromFirstStart()
    {
        var start = _licensing.Time.GetUtcNow();
        var service = _licensing.CreateService();

        var state = service.GetState();

        Assert.Equal(LicenceMode.Evaluation, state.Mode);
        Assert.Equal(start.AddDays(180), state.EvaluationEndsAt);
        Assert.Equal(5, state.EvaluationComputerLimit);
        Assert.Contains("Evaluation mode", state.Summary, StringComparison.Ordinal);
        Assert.All([LicenceTier.Client, LicenceTier.Standard, LicenceTier.Enterprise], t => Assert.True(service.CanLoad(t).Allowed));
    }

    [Fact]
    public void GetState_EvaluationStartSurvivesRestart()
    {
        var start = _licensing.Time.GetUtcNow();
        _licensing.CreateService();
        _licensing.Time.Advance(TimeSpan.FromDays(10));

        var state = _licensing.CreateService().GetState();

        Assert.Equal(start.AddDays(180), state.EvaluationEndsAt);
    }

    [Fact]
    public void Consume_EvaluationMode_AtMostFiveComputersOfAnyTier()
    {
        var service = _licensing.CreateService();
        for (var i = 1; i <= 5; i++)
        {
            Assert.True(service.Consume($"pc{i}", i % 2 == 0 ? LicenceTier.Enterprise : LicenceTier.Client).Granted);
        }

        var sixth = service.Consume("pc6", LicenceTier.Standard);

        Assert.False(sixth.Granted);
        Assert.Contains("evaluation mode protects at most 5 computers", sixth.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CanLoad_EvaluationOver_RefusedWithReason()
    {
        var service = _licensing.CreateService();
        _licensing.Time.Advance(TimeSpan.FromDays(181));

        var decision = service.CanLoad(LicenceTier.Standard);

        Assert.Equal(LicenceMode.Unlicensed, service.GetState().Mode);
        Assert.False(decision.Allowed);
        Assert.Contains("evaluation period ended", decision.Reason, StringComparison.Ordinal);
        Assert.True(service.CanLoad(LicenceTier.None).Allowed);
    }

    [Fact]
    public void Install_ValidLicence_LicensedWithItsCounts()
    {
        var service = _licensing.CreateService();

        var result = service.Install(_licensing.Issue(new ComputerCounts(0, 3, 1), licensee: "Contoso"));

        Assert.Null(result.Error);
        var state = service.GetState();
        Assert.Equal(LicenceMode.Licensed, state.Mode);
        Assert.Equal(3, state.Tiers.Single(t => t.Tier == LicenceTier.Standard).Licensed);
        Assert.Equal(1, state.Tiers.Single(t => t.Tier == LicenceTier.Enterprise).Licensed);
        Assert.Equal("Contoso", Assert.Single(state.Licences).Licensee);
    }

    [Fact]
    public void Install_TwoLicences_CountsAddUp()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 3, 0)));
        service.Install(_licensing.Issue(new ComputerCounts(2, 1, 0)));

        var tiers = service.GetState().Tiers;

        Assert.Equal(4, tiers.Single(t => t.Tier == LicenceTier.Standard).Licensed);
        Assert.Equal(2, tiers.Single(t => t.Tier == LicenceTier.Client).Licensed);
    }

    [Fact]
    public void Install_ExpiredLicence_RefusedAndNothingChanges()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 2, 0), id: "good"));
        var expired = _licensing.Issue(new ComputerCounts(0, 50, 50), validDays: 10);
        _licensing.Time.Advance(TimeSpan.FromDays(11));

        var result = service.Install(expired);

        Assert.StartsWith("licence refused: it expired on", result.Error, StringComparison.Ordinal);
        Assert.Equal("good", Assert.Single(service.GetState().Licences).Id);
        Assert.Single(Directory.GetFiles(_dir.Path, "*.lic"));
    }

    [Fact]
    public void Install_TamperedLicence_RefusedAndInstalledLicenceStays()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 2, 0), id: "good"));
        var text = _licensing.Issue(new ComputerCounts(0, 1, 0));
        var at = text.IndexOf("\"payload\": \"", StringComparison.Ordinal) + 20;
        var tampered = text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..];

        var result = service.Install(tampered);

        Assert.StartsWith("licence refused: its signature does not match", result.Error, StringComparison.Ordinal);
        var state = service.GetState();
        Assert.Equal(LicenceMode.Licensed, state.Mode);
        Assert.Equal(2, state.Tiers.Single(t => t.Tier == LicenceTier.Standard).Licensed);
    }

    [Fact]
    public void Start_InstalledLicenceDamagedOnDisk_ReportedAndOthersStillCount()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 2, 0), id: "good"));
        service.Install(_licensing.Issue(new ComputerCounts(0, 0, 4), id: "damaged"));
        File.WriteAllText(Path.Combine(_dir.Path, "damaged.lic"), "garbage");

        var state = _licensing.CreateService().GetState();

        Assert.Equal(LicenceMode.Licensed, state.Mode);
        Assert.Equal(LicenceValidity.Unreadable, state.Licences.Single(l => l.File == "damaged.lic").Validity);
        Assert.Equal(2, state.Tiers.Single(t => t.Tier == LicenceTier.Standard).Licensed);
        Assert.Equal(0, state.Tiers.Single(t => t.Tier == LicenceTier.Enterprise).Licensed);
    }

    [Fact]
    public void Consume_MoreComputersThanLicensed_RefusedWithClearErrorUntilOneIsReleased()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 2, 0)));
        Assert.True(service.Consume("fs1", LicenceTier.Standard).Granted);
        Assert.True(service.Consume("fs2", LicenceTier.Standard).Granted);

        var third = service.Consume("fs3", LicenceTier.Standard);

        Assert.False(third.Granted);
        Assert.Equal(
            "licence refused: fs3 needs S-DPML, and all 2 S-DPML-or-higher licences are in use (fs1, fs2); stop protecting a computer or install a licence with more computers",
            third.Message);
        Assert.True(service.Release("fs1"));
        Assert.True(service.Consume("fs3", LicenceTier.Standard).Granted);
    }

    [Fact]
    public void Consume_SameComputerTwice_HoldsOneLicence()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 1, 0)));

        Assert.True(service.Consume("fs1", LicenceTier.Standard).Granted);
        Assert.True(service.Consume("FS1", LicenceTier.Client).Granted);

        Assert.Single(service.GetState().Consumptions);
    }

    [Fact]
    public void Consume_TierFull_TakesLowestHigherTierWithRoom()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 1, 1)));

        Assert.Equal(LicenceTier.Standard, service.Consume("fs1", LicenceTier.Standard).Tier);
        Assert.Equal(LicenceTier.Enterprise, service.Consume("fs2", LicenceTier.Standard).Tier);
        Assert.False(service.Consume("fs3", LicenceTier.Client).Granted);
    }

    [Fact]
    public void Consume_ComputerNeedsHigherTier_UpgradesItsLicence()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 1, 1)));
        service.Consume("sql1", LicenceTier.Standard);

        var upgrade = service.Consume("sql1", LicenceTier.Enterprise);

        Assert.Equal(LicenceTier.Enterprise, upgrade.Tier);
        var held = Assert.Single(service.GetState().Consumptions);
        Assert.Equal(LicenceTier.Enterprise, held.Tier);
    }

    [Fact]
    public void Consume_SurvivesRestart()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 1, 0)));
        service.Consume("fs1", LicenceTier.Standard);

        var restarted = _licensing.CreateService();

        Assert.False(restarted.Consume("fs2", LicenceTier.Standard).Granted);
        Assert.Equal("fs1", Assert.Single(restarted.GetState().Consumptions).Computer);
    }

    [Fact]
    public void CanLoad_StandardOnlyLicence_RefusesEnterpriseAndSaysWhy()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 5, 0)));

        Assert.True(service.CanLoad(LicenceTier.Client).Allowed);
        Assert.True(service.CanLoad(LicenceTier.Standard).Allowed);
        var enterprise = service.CanLoad(LicenceTier.Enterprise);
        Assert.False(enterprise.Allowed);
        Assert.Equal("needs E-DPML or higher, but the installed licences cover S-DPML only", enterprise.Reason);
    }

    [Fact]
    public void Remove_InstalledLicence_BackToEvaluation()
    {
        var service = _licensing.CreateService();
        service.Install(_licensing.Issue(new ComputerCounts(0, 5, 0), id: "lic-a"));

        Assert.True(service.Remove("lic-a"));

        Assert.Equal(LicenceMode.Evaluation, service.GetState().Mode);
        Assert.False(service.Remove("lic-a"));
    }
}
