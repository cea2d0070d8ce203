using System.Text;

namespace Dpm.Bench.Dataset;

/// <summary>
/// The fixed word lists every text-like byte of the dataset is made of. Changing them changes the dataset: keep them
/// as they are (add a new list instead) so numbers from different days stay comparable.
/// </summary>
internal static class Vocabulary
{
    /// <summary>Short, very frequent words: about a third of running text, as in English.</summary>
    public static readonly byte[][] Function = Utf8(
        "the of and to a in is that for it as was with be by on not he this are or his from at which but have an they "
        + "you were their one all we can her has there been if more when will would who so no she other its may these "
        + "about than into then them could only some our also any such must should each both after between under over");

    /// <summary>Content words of office documents, mails, minutes and reports (a few with accents, as real names have).</summary>
    public static readonly byte[][] Content = Utf8(
        "account accounts accrual action agenda agreement allocation amendment analysis annual answer application "
        + "approval approved april archive area asset assets audit august authority available backlog balance bank "
        + "baseline benefit billing board branch budget budgets building business calendar campaign capacity capital "
        + "case cash catalogue category centre certificate change changes chapter claim claims client clients clause "
        + "closing code committee company compliance condition conference confirmation contact contract contracts "
        + "control cost costs council credit criteria customer customers cycle data database date deadline december "
        + "decision delivery department deposit design detail details development device director discount discussion "
        + "distribution document documents draft employee employees engineering equipment estimate evaluation event "
        + "expense expenses export facility february figure figures finance financial fiscal forecast form framework "
        + "funding group growth guideline headcount holiday income incident index information infrastructure inquiry "
        + "insurance interest internal inventory invoice invoices issue item items january july june labour lease "
        + "ledger legal letter level licence limit list loan logistics maintenance management manager march margin "
        + "market marketing material meeting meetings member memo migration milestone minutes model monday month "
        + "monthly network notice november number objective october office operations order orders organisation "
        + "outcome overview owner partner partners payment payments payroll pension performance period personnel "
        + "phase plan planning policy portfolio position premises presentation price pricing priority procedure "
        + "process procurement product production products profit programme project projects proposal purchase "
        + "quality quarter quarterly query rate record records region regional register release report reports "
        + "request requirement requirements research reserve resource resources response result results revenue "
        + "review risk risks safety salary sales schedule scope section security september server service services "
        + "session share shipment signature site software solution specification staff stakeholder standard "
        + "statement status stock storage strategy subject summary supplier suppliers supply support system systems "
        + "target targets task tax team technical template tender term terms test thursday ticket timeline total "
        + "training transfer travel treasury trend tuesday unit update upgrade user users value variance vendor "
        + "version volume warehouse week weekly workflow workshop year yearly "
        + "agreed attached available current confirmed corporate critical detailed due expected external final "
        + "following further general high important initial key late local low major minor monthly new next open "
        + "outstanding pending preliminary previous primary proposed quarterly recent relevant remaining required "
        + "revised second significant special strategic third updated urgent "
        + "please note see send review approve confirm discuss prepare provide receive submit update attach check "
        + "complete consider include increase reduce require schedule support understand deliver expect follow "
        + "café résumé naïve Zürich Müller Søren Ångström José Łódź Dvořák Straße François Göteborg");

    /// <summary>Component names for log lines.</summary>
    public static readonly byte[][] Components = Utf8(
        "auth scheduler replica sync storage smtp http db cache indexer agent backup vss spooler dhcp dns kerberos");

    /// <summary>Words for folder and file names, some with spaces and non-ASCII letters as on real shares.</summary>
    public static readonly string[] FolderNames =
    [
        "Finance", "HR", "Engineering", "Sales & Marketing", "Legal", "Projects", "Öffentlich", "Users", "IT",
        "Board Minutes", "2019", "2020", "2021", "2022", "2023", "2024", "Q1", "Q2", "Q3", "Q4", "Archive",
        "Contracts", "Invoices", "Reports", "Templates", "Drafts", "Customers", "Suppliers", "Payroll", "Budget",
        "Résumés", "Café Menüs", "日本語 資料", "Проекты", "Ångström Lab", "Client – Müller GmbH", "Meeting Notes",
        "Policies", "Training", "Scans", "Photos", "Shared", "Old", "Review", "Final", "São Paulo office",
        "Kraków", "Support Tickets", "Specs", "Design", "Marketing Assets", "Press",
    ];

    public static readonly string[] UserNames =
    [
        "alice", "bob", "chen.wei", "dmitri", "eva", "françois", "gül", "hiro", "ines", "jørgen", "kate", "luis",
    ];

    private static byte[][] Utf8(string words) =>
        [.. words.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => Encoding.UTF8.GetBytes(w))];
}
