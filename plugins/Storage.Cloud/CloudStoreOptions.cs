using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Dpm.Storage.Cloud;

/// <summary>Which object storage service a cloud store talks to.</summary>
public enum CloudProvider
{
    AzureBlob,
    S3,
}

/// <summary>
/// Where a cloud store keeps its objects and how it uploads them, bound from the settings the host passes to
/// OpenStoreAsync. Secrets come from the settings or from the environment, and never appear in
/// <see cref="ToString"/>, a location or a log line.
/// </summary>
public sealed class CloudStoreOptions
{
    public const int DefaultBlockBytes = 8 * 1024 * 1024;

    public required CloudProvider Provider { get; init; }

    /// <summary>The Azure container or the S3 bucket.</summary>
    public required string Container { get; init; }

    /// <summary>A prefix all object names get inside the container ("" for none; "pool/" keeps a pool in a folder).</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Azure: the storage account's connection string (setting or <c>DPM_AZURE_CONNECTION_STRING</c>).</summary>
    public string? ConnectionString { get; init; }

    /// <summary>S3: the service URL (an S3-compatible server); empty for AWS itself, with <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>S3: the region (default us-east-1).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>S3: the access key id (setting or <c>AWS_ACCESS_KEY_ID</c>).</summary>
    public string? AccessKey { get; init; }

    /// <summary>S3: the secret key (setting or <c>AWS_SECRET_ACCESS_KEY</c>).</summary>
    public string? SecretKey { get; init; }

    /// <summary>S3: address buckets as a path (<c>http://host/bucket</c>), as most S3-compatible servers want.</summary>
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Objects larger than this upload in blocks (Azure) or parts (S3) of this size.</summary>
    public int BlockBytes { get; init; } = DefaultBlockBytes;

    /// <summary>How many blocks or parts of one object upload at once.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>How many times a failed request is tried again (with exponential back-off) before the store gives up.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>The most bytes per second all uploads of the store together may send; 0 for no limit.</summary>
    public long MaxUploadBytesPerSecond { get; init; }

    /// <summary>Create the container or bucket when it is missing (otherwise a missing one is an error).</summary>
    public bool CreateContainer { get; init; } = true;

    /// <summary>Reads and checks the settings; throws <see cref="InvalidOperationException"/> naming every problem.</summary>
    public static CloudStoreOptions Bind(IConfiguration settings, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        environment ??= Environment.GetEnvironmentVariable;
        var problems = new List<string>();

        CloudProvider provider = default;
        var providerText = settings[nameof(Provider)];
        if (string.IsNullOrWhiteSpace(providerText) || !Enum.TryParse(providerText, ignoreCase: true, out provider) || !Enum.IsDefined(provider))
        {
            problems.Add($"Provider must be AzureBlob or S3, not '{providerText}'");
        }

        var container = settings[nameof(Container)];
        if (string.IsNullOrWhiteSpace(container))
        {
            problems.Add("Container is required: the Azure container or S3 bucket that holds the pool");
        }

        var prefix = settings[nameof(Prefix)] ?? "";
        if (prefix.Length > 0 && (!prefix.EndsWith('/') || prefix.StartsWith('/')))
        {
            problems.Add($"Prefix must end with '/' and not start with one, not '{prefix}'");
        }

        var connectionString = Setting(settings, nameof(ConnectionString)) ?? environment("DPM_AZURE_CONNECTION_STRING");
        var accessKey = Setting(settings, nameof(AccessKey)) ?? environment("AWS_ACCESS_KEY_ID");
        var secretKey = Setting(settings, nameof(SecretKey)) ?? environment("AWS_SECRET_ACCESS_KEY");
        if (provider == CloudProvider.AzureBlob && string.IsNullOrWhiteSpace(connectionString))
        {
            problems.Add("ConnectionString is required for AzureBlob (or set DPM_AZURE_CONNECTION_STRING)");
        }

        if (provider == CloudProvider.S3 && (string.IsNullOrWhiteSpace(accessKey) || string.IsNullOrWhiteSpace(secretKey)))
        {
            problems.Add("AccessKey and SecretKey are required for S3 (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
        }

        var serviceUrl = Setting(settings, nameof(ServiceUrl));
        if (serviceUrl is not null && !Uri.TryCreate(serviceUrl, UriKind.Absolute, out _))
        {
            problems.Add($"ServiceUrl must be an absolute URL, not '{serviceUrl}'");
        }

        var blockBytes = Number(settings, nameof(BlockBytes), DefaultBlockBytes, 64 * 1024, 256 * 1024 * 1024, problems);
        var parallelism = Number(settings, nameof(Parallelism), 4, 1, 64, problems);
        var retries = Number(settings, nameof(Retries), 5, 0, 20, problems);
        var rate = Number(settings, nameof(MaxUploadBytesPerSecond), 0, 0, long.MaxValue, problems);
        var create = settings[nameof(CreateContainer)] is not { Length: > 0 } createText || bool.Parse(createText);
        var pathStyle = settings[nameof(ForcePathStyle)] is not { Length: > 0 } styleText || bool.Parse(styleText);

        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Dpm.Storage.Cloud settings are invalid: {string.Join("; ", problems)}.");
        }

        return new CloudStoreOptions
        {
            Provider = provider,
            Container = container!,
            Prefix = prefix,
            ConnectionString = connectionString,
            ServiceUrl = serviceUrl,
            Region = Setting(settings, nameof(Region)) ?? "us-east-1",
            AccessKey = accessKey,
            SecretKey = secretKey,
            ForcePathStyle = pathStyle,
            BlockBytes = (int)blockBytes,
            Parallelism = (int)parallelism,
            Retries = (int)retries,
            MaxUploadBytesPerSecond = rate,
            CreateContainer = create,
        };
    }

    /// <summary>The settings, secrets left out.</summary>
    public override string ToString() =>
        $"{Provider} container '{Container}' prefix '{Prefix}'{(ServiceUrl is null ? "" : $" at {ServiceUrl}")}, blocks of {BlockBytes} bytes x{Parallelism}, {Retries} retries"
        + (MaxUploadBytesPerSecond > 0 ? string.Create(CultureInfo.InvariantCulture, $", upload at most {MaxUploadBytesPerSecond} bytes/s") : "");

    private static string? Setting(IConfiguration settings, string name) => settings[name] is { Length: > 0 } value ? value : null;

    private static long Number(IConfiguration settings, string name, long fallback, long min, long max, List<string> problems)
    {
        var text = settings[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            problems.Add($"{name} must be a whole number from {min} to {max}, not '{text}'");
            return fallback;
        }

        return value;
    }
}
