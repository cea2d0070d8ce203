namespace Dpm.Core.Plugins;

/// <summary>The outcome of calling a plugin: its answer, or why there is none.</summary>
public sealed record PluginCallResult<T>(T? Value, string? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>Makes <see cref="PluginCallResult{T}"/> values.</summary>
public static class PluginCallResult
{
    public static PluginCallResult<T> Ok<T>(T value) => new(value, null);

    public static PluginCallResult<T> Fail<T>(string reason) => new(default, reason);
}
