namespace Dpm.Server.Protection;

/// <summary>What changed about a protection group.</summary>
internal enum ProtectionGroupChange
{
    Created,
    PolicyChanged,
    MemberAdded,
    MemberRemoved,
}

/// <summary>A protection group changed: which one, and how (its work may need planning again).</summary>
internal sealed class ProtectionGroupChangedEventArgs(string groupName, ProtectionGroupChange change) : EventArgs
{
    public string GroupName { get; } = groupName;

    public ProtectionGroupChange Change { get; } = change;
}
