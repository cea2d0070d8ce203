using Azure;

namespace Dpm.Storage.Cloud;

/// <summary>
/// Turns what the service client throws into exceptions an operator can act on: they name the endpoint, the
/// container and the cause (refused credentials, no answer, busy service), and never the account key. The
/// client's own exception stays as the inner exception; it carries the request id, never the key.
/// </summary>
internal sealed class AzureBlobErrors(string account, string container, Uri endpoint, int retries)
{
    public string Where => $"container '{container}' of account '{account}' at {endpoint}";

    /// <summary>Whether <paramref name="e"/> is a failure of the service or of the way to it (to translate).</summary>
    public static bool IsServiceFailure(Exception e) => e is RequestFailedException or AggregateException { InnerExceptions: [RequestFailedException, ..] };

    /// <summary>The clear exception for a failed <paramref name="action"/> ("read 'data/ab/cd'").</summary>
    public Exception Failure(string action, Exception e)
    {
        var last = e is AggregateException aggregate ? aggregate.InnerExceptions[^1] : e;
        var failed = last as RequestFailedException;
        var tries = retries == 0 ? "" : $" after {retries} retries";
        return failed?.Status switch
        {
            401 or 403 => new UnauthorizedAccessException(
                $"Azure Blob Storage refused to {action} in {Where}: {Code(failed)} ({failed.Status}); check the account name and key", e),
            404 when failed.ErrorCode == "ContainerNotFound" => new IOException(
                $"can't {action}: the {Where} does not exist (any more)", e),
            500 or 503 => new IOException(
                $"Azure Blob Storage is busy and refused to {action} in {Where}{tries}: {Code(failed)} ({failed.Status})", e),
            null or 0 => new IOException(
                $"can't reach Azure Blob Storage to {action} in {Where}{tries}: {Cause(last)}", e),
            _ => new IOException(
                $"Azure Blob Storage failed to {action} in {Where}: {Code(failed)} ({failed.Status})", e),
        };
    }

    private static string Code(RequestFailedException e) => string.IsNullOrEmpty(e.ErrorCode) ? "no error code" : e.ErrorCode;

    /// <summary>The innermost message: "Connection refused (127.0.0.1:1234)" rather than the client's retry advice.</summary>
    private static string Cause(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }

        return e.Message;
    }
}
