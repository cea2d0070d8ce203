using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dpm.Contracts;
using Dpm.Contracts.Storage;
using Microsoft.Extensions.Logging;

namespace Dpm.Storage.Cloud;

/// <summary>
/// Uploads one object create-only. Content that fits in one block is one Put Blob; longer content (or content of
/// unknown length that turns out longer) is read block by block and staged with up to
/// <see cref="CloudStoreOptions.Parallelism"/> Put Block requests at once, then made visible by one Put Block
/// List. Every request carries the MD5 of its bytes, which the service checks, and every byte sent passes the
/// store's <see cref="UploadThrottle"/>.
/// </summary>
internal sealed class AzureBlobUpload(CloudStoreOptions options, UploadThrottle throttle, ILogger logger, string location)
{
    private static readonly BlobRequestConditions CreateOnly = new() { IfNoneMatch = ETag.All };

    public async Task<PutOutcome> PutAsync(BlockBlobClient blob, string name, Stream content, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        long? length = content.CanSeek ? Math.Max(0, content.Length - content.Position) : null;
        var first = await ReadBlockAsync(content, cancellationToken);
        if (first.Count < options.BlockBytes)
        {
            return await PutWholeAsync(blob, first, length, progress, cancellationToken);
        }

        var second = await ReadBlockAsync(content, cancellationToken);
        if (second.Count == 0)
        {
            return await PutWholeAsync(blob, first, length, progress, cancellationToken);
        }

        return await PutBlocksAsync(blob, name, content, [first, second], length, progress, cancellationToken);
    }

    private async Task<PutOutcome> PutWholeAsync(BlockBlobClient blob, Block block, long? length, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        var upload = new BlobUploadOptions
        {
            Conditions = CreateOnly,
            TransferOptions = new StorageTransferOptions { InitialTransferSize = options.BlockBytes, MaximumTransferSize = options.BlockBytes },
        };
        try
        {
            using var checksum = AzureBlobContentMd5Policy.Scope(Md5(block));
            await blob.UploadAsync(new AzureBlobUploadContent(block.Buffer, block.Count, throttle), upload, cancellationToken);
        }
        catch (RequestFailedException e) when (IsCreateOnlyRefusal(e))
        {
            return PutOutcome.AlreadyExists;
        }

        progress?.Report(new ProgressReport(block.Count, length ?? block.Count));
        return PutOutcome.Stored;
    }

    private async Task<PutOutcome> PutBlocksAsync(
        BlockBlobClient blob, string name, Stream content, Block[] firstBlocks, long? length, IProgress<ProgressReport>? progress, CancellationToken cancellationToken)
    {
        // block ids are unique to this upload, so a concurrent upload of the same name can't commit our blocks or we its
        var upload = Guid.NewGuid();
        var ids = new List<string>();
        var staging = new List<Task>();
        long sent = 0;
        using var slots = new SemaphoreSlim(options.Parallelism);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var pending = new Queue<Block>(firstBlocks);
            while (pending.TryDequeue(out var block) || (block = await ReadBlockAsync(content, stop.Token)).Count > 0)
            {
                await slots.WaitAsync(stop.Token);
                if (staging.FirstOrDefault(t => t.IsFaulted || t.IsCanceled) is { } failed)
                {
                    await failed; // throws what stopped it
                }

                var id = BlockId(upload, ids.Count);
                ids.Add(id);
                staging.Add(StageAsync(id, block));
            }

            await Task.WhenAll(staging);
        }
        catch (Exception e)
        {
            await stop.CancelAsync();
            await Task.WhenAll(staging).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            AzureBlobStoreLog.UploadAbandoned(logger, name, location, Interlocked.Read(ref sent), e.GetType().Name);
            throw;
        }

        try
        {
            await blob.CommitBlockListAsync(ids, new CommitBlockListOptions { Conditions = CreateOnly }, cancellationToken);
        }
        catch (RequestFailedException e) when (IsCreateOnlyRefusal(e))
        {
            return PutOutcome.AlreadyExists;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.InvalidBlockList)
        {
            if (await blob.ExistsAsync(cancellationToken))
            {
                return PutOutcome.AlreadyExists; // another writer committed first, and its commit dropped our staged blocks
            }

            throw;
        }

        AzureBlobStoreLog.BlocksCommitted(logger, name, location, ids.Count, sent);
        return PutOutcome.Stored;

        async Task StageAsync(string id, Block block)
        {
            try
            {
                var stage = new BlockBlobStageBlockOptions
                {
                    TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = Md5(block) },
                };
                await blob.StageBlockAsync(id, new AzureBlobUploadContent(block.Buffer, block.Count, throttle), stage, stop.Token);
                progress?.Report(new ProgressReport(Interlocked.Add(ref sent, block.Count), length));
            }
            finally
            {
                slots.Release();
            }
        }
    }

    /// <summary>Reads up to one block; a short block means the content has ended.</summary>
    private async Task<Block> ReadBlockAsync(Stream content, CancellationToken cancellationToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(options.BlockBytes);
        var count = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return new Block(buffer, count);
    }

    /// <summary>The service's answer to a create-only put of a name that exists.</summary>
    private static bool IsCreateOnlyRefusal(RequestFailedException e) =>
        (e.Status == 409 && e.ErrorCode == BlobErrorCode.BlobAlreadyExists) || (e.Status == 412 && e.ErrorCode == BlobErrorCode.ConditionNotMet);

    /// <summary>Block ids of one blob must all have the same length: the upload's id and the block's number.</summary>
    private static string BlockId(Guid upload, int index)
    {
        Span<byte> id = stackalloc byte[20];
        upload.TryWriteBytes(id);
        BinaryPrimitives.WriteInt32BigEndian(id[16..], index);
        return Convert.ToBase64String(id);
    }

    [SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "Content-MD5 is the service's transfer checksum, not a security measure")]
    private static byte[] Md5(Block block) => MD5.HashData(block.Buffer.AsSpan(0, block.Count));

    private readonly record struct Block(byte[] Buffer, int Count);
}
