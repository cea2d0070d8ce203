using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Dpm.Core.Licensing;
using Dpm.Management;

// dpm-licence keygen | issue | verify. Exit codes: 0 done, 1 refused or invalid, 2 bad command line.

var newPrivateKey = new Option<FileInfo>("--private-key") { Description = "PEM file to write the signing (private) key to", Required = true };
var newPublicKey = new Option<FileInfo>("--public-key") { Description = "PEM file to write the verifying (public) key to", Required = true };
var privateKey = new Option<FileInfo>("--private-key") { Description = "PEM file of the signing (private) key", Required = true }.AcceptExistingOnly();
var publicKey = new Option<FileInfo>("--public-key") { Description = "PEM file of the verifying (public) key", Required = true }.AcceptExistingOnly();

var keygen = new Command("keygen", "Make an ECDSA P-256 key pair for signing licences") { newPrivateKey, newPublicKey };
keygen.SetAction(parse =>
{
    var priv = parse.GetValue(newPrivateKey)!;
    var pub = parse.GetValue(newPublicKey)!;
    if (priv.Exists)
    {
        Console.Error.WriteLine($"dpm-licence: '{priv.FullName}' exists; refusing to overwrite a signing key");
        return 1;
    }

    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    File.WriteAllText(priv.FullName, key.ExportPkcs8PrivateKeyPem(), new System.Text.UTF8Encoding(false));
    if (!OperatingSystem.IsWindows())
    {
        File.SetUnixFileMode(priv.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    File.WriteAllText(pub.FullName, key.ExportSubjectPublicKeyInfoPem() + "\n");
    Console.WriteLine($"key id {LicenceFile.KeyId(key)}: private key {priv.FullName}, public key {pub.FullName}");
    return 0;
});

var licensee = new Option<string>("--licensee") { Description = "Who the licence is for", Required = true };
var expires = new Option<DateOnly>("--expires") { Description = "Last day of validity (YYYY-MM-DD, UTC)", Required = true };
var client = new Option<int>("--client") { Description = "Protected computers for C-DPML (desktops)" };
var standard = new Option<int>("--standard") { Description = "Protected computers for S-DPML (files, system state)" };
var enterprise = new Option<int>("--enterprise") { Description = "Protected computers for E-DPML (applications, bare metal, secondary server)" };
var id = new Option<string?>("--id") { Description = "Licence id (default: a new one)" };
var output = new Option<FileInfo>("--out") { Description = "Licence file to write", Required = true };
var issue = new Command("issue", "Issue a signed licence file") { privateKey, licensee, expires, client, standard, enterprise, id, output };
issue.SetAction(parse =>
{
    int[] counts = [parse.GetValue(client), parse.GetValue(standard), parse.GetValue(enterprise)];
    if (counts.Any(c => c < 0) || counts.All(c => c == 0))
    {
        Console.Error.WriteLine("dpm-licence: give at least one of --client, --standard, --enterprise, none negative");
        return 2;
    }

    var now = DateTimeOffset.UtcNow;
    var expiry = new DateTimeOffset(parse.GetValue(expires).ToDateTime(new TimeOnly(23, 59, 59)), TimeSpan.Zero);
    if (expiry <= now)
    {
        Console.Error.WriteLine($"dpm-licence: --expires {expiry:yyyy-MM-dd} is not in the future");
        return 2;
    }

    using var key = LoadKey(parse.GetValue(privateKey)!);
    if (key is null)
    {
        return 1;
    }

    try
    {
        key.ExportParameters(includePrivateParameters: true);
    }
    catch (CryptographicException)
    {
        Console.Error.WriteLine($"dpm-licence: '{parse.GetValue(privateKey)!.FullName}' holds no private key; issuing needs the signing key");
        return 1;
    }

    var content = new LicenceContent
    {
        Id = parse.GetValue(id) ?? $"lic-{now:yyyyMMdd}-{Guid.NewGuid().ToString("N")[..8]}",
        Licensee = parse.GetValue(licensee)!,
        IssuedAt = now,
        ExpiresAt = expiry,
        Computers = new ComputerCounts(counts[0], counts[1], counts[2]),
    };
    File.WriteAllText(parse.GetValue(output)!.FullName, LicenceFile.Sign(content, key));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"issued {content.Id} for {content.Licensee}: C-DPML {counts[0]}, S-DPML {counts[1]}, E-DPML {counts[2]}, until {expiry:yyyy-MM-dd}"));
    return 0;
});

var file = new Argument<FileInfo>("FILE") { Description = "Licence file to check" }.AcceptExistingOnly();
var verify = new Command("verify", "Check a licence file against a public key") { file, publicKey };
verify.SetAction(parse =>
{
    using var key = LoadKey(parse.GetValue(publicKey)!);
    if (key is null)
    {
        return 1;
    }

    var check = LicenceFile.Verify(File.ReadAllText(parse.GetValue(file)!.FullName), key, DateTimeOffset.UtcNow);
    Console.WriteLine($"{check.Validity}: {check.Message}");
    return check.IsValid ? 0 : 1;
});

return await new RootCommand("dpm-licence: issue and check DpmPlugins licence files") { keygen, issue, verify }.Parse(args).InvokeAsync();

static ECDsa? LoadKey(FileInfo pem)
{
    var key = ECDsa.Create();
    try
    {
        key.ImportFromPem(File.ReadAllText(pem.FullName));
        return key;
    }
    catch (ArgumentException ex)
    {
        key.Dispose();
        Console.Error.WriteLine($"dpm-licence: '{pem.FullName}' is not an EC key in PEM form: {ex.Message}");
        return null;
    }
}
