using Dpm.Storage.Cloud;
using Microsoft.Extensions.Configuration;

namespace Storage.Cloud.Tests;

public sealed class CloudStoreOptionsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Bind_EveryProblemNamedAtOnce()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CloudStoreOptions.Bind(
            Settings(("Provider", "Dropbox"), ("Prefix", "/pool"), ("BlockBytes", "12"), ("Parallelism", "0"), ("ServiceUrl", "not a url")), _ => null));

        Assert.Contains("Provider must be AzureBlob or S3, not 'Dropbox'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Container is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Prefix must end with '/'", error.Message, StringComparison.Ordinal);
        Assert.Contains("BlockBytes must be a whole number from 65536", error.Message, StringComparison.Ordinal);
        Assert.Contains("Parallelism must be a whole number from 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("ServiceUrl must be an absolute URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_MissingCredentials_SaysWhereTheyCanComeFrom()
    {
        var azure = Assert.Throws<InvalidOperationException>(() => CloudStoreOptions.Bind(Settings(("Provider", "AzureBlob"), ("Container", "pool")), _ => null));
        var s3 = Assert.Throws<InvalidOperationException>(() => CloudStoreOptions.Bind(Settings(("Provider", "S3"), ("Container", "pool"), ("AccessKey", "AKIA")), _ => null));

        Assert.Contains("DPM_AZURE_CONNECTION_STRING", azure.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", s3.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_SecretsFromTheEnvironment_NeverShownInTheDescription()
    {
        var environment = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLEKEY", ["AWS_SECRET_ACCESS_KEY"] = "very-secret-value" };

        var options = CloudStoreOptions.Bind(Settings(("Provider", "s3"), ("Container", "pool"), ("ServiceUrl", "http://127.0.0.1:9000"), ("MaxUploadBytesPerSecond", "1048576")), k => environment.GetValueOrDefault(k));

        Assert.Equal((CloudProvider.S3, "AKIAEXAMPLEKEY", "very-secret-value", 1048576L), (options.Provider, options.AccessKey, options.SecretKey, options.MaxUploadBytesPerSecond));
        Assert.DoesNotContain("very-secret-value", options.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAEXAMPLEKEY", options.ToString(), StringComparison.Ordinal);
    }
}
