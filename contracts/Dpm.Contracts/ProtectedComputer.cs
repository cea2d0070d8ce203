namespace Dpm.Contracts;

/// <summary>A computer that runs a protection agent.</summary>
/// <param name="Name">The computer's name, unique on a server.</param>
/// <param name="OperatingSystem">Description of its operating system.</param>
public sealed record ProtectedComputer(string Name, string OperatingSystem);
