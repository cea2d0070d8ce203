using Dpm.Contracts.Testing;
using Dpm.Storage.Cloud;
using Microsoft.Extensions.Configuration;

namespace Storage.Cloud.Tests;

/// <summary>The cloud storage plugin keeps the storage contracts on Azure Blob storage: the conformance kit against Azurite.</summary>
public sealed class AzureBlobConformanceTests(AzureEmulatorFixture azure) : StorageConformance<CloudStoragePlugin>, IClassFixture<AzureEmulatorFixture>
{
    // Small blocks, so that the larger objects are staged in several blocks.
    protected override IConfiguration StoreSettings(string folder) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Provider"] = "AzureBlob",
        ["Container"] = azure.NewContainer(),
        ["ConnectionString"] = azure.ConnectionString,
        ["BlockBytes"] = "65536",
        ["Retries"] = "2",
    }).Build();
}

/// <summary>The cloud storage plugin keeps the storage contracts on S3: the conformance kit against s3rver.</summary>
public sealed class S3ConformanceTests(S3rverFixture s3) : StorageConformance<CloudStoragePlugin>, IClassFixture<S3rverFixture>
{
    // s3rver ignores If-None-Match: *, so two writers of one name can both pass the existence check (the plugin's
    // README documents the race; on S3 itself the header refuses the second). The kit then checks atomicity only.
    protected override bool ConcurrentPutsOfOneNameAreExclusive => false;

    protected override IConfiguration StoreSettings(string folder) => s3.Settings(S3rverFixture.NewBucket(), ("Prefix", "pool/"));
}
