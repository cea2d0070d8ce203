using Azure.Core;
using Azure.Core.Pipeline;

namespace Dpm.Storage.Cloud;

/// <summary>
/// Puts a Content-MD5 header, which the service checks against the bytes it receives, on the requests sent inside
/// a <see cref="Scope"/>. The client's own checksum option would read the content once more to hash it (and so
/// through the upload throttle twice), and it refuses a checksum computed beforehand on a one-request upload.
/// </summary>
internal sealed class AzureBlobContentMd5Policy : HttpPipelineSynchronousPolicy
{
    private const string Property = "Dpm.Storage.Cloud.ContentMd5";

    /// <summary>Requests sent until the scope is disposed carry <paramref name="md5"/> as their Content-MD5.</summary>
    public static IDisposable Scope(byte[] md5) =>
        HttpPipeline.CreateHttpMessagePropertiesScope(new Dictionary<string, object?> { [Property] = Convert.ToBase64String(md5) });

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Request.Method == RequestMethod.Put && message.TryGetProperty(Property, out var md5) && md5 is string value)
        {
            message.Request.Headers.SetValue("Content-MD5", value);
        }
    }
}
