namespace Dpm.Core.Tests;

/// <summary>A temporary folder that is deleted when the test ends.</summary>
public sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dpm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a plugin that hangs on purpose may still hold a file; the temp folder is cleaned later
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
