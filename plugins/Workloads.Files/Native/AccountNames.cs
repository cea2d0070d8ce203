using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Dpm.Workloads.Files.Native;

/// <summary>User and group names by id, through the C library's name service (so LDAP/SSSD users resolve too), cached.</summary>
internal sealed unsafe class AccountNames
{
    private readonly ConcurrentDictionary<uint, string?> _users = new();
    private readonly ConcurrentDictionary<uint, string?> _groups = new();

    public string? UserName(uint uid) => _users.GetOrAdd(uid, static id => Lookup(id, group: false));

    public string? GroupName(uint gid) => _groups.GetOrAdd(gid, static id => Lookup(id, group: true));

    private static string? Lookup(uint id, bool group)
    {
        // struct passwd and struct group both start with a char* name; 64 bytes covers either record.
        var record = stackalloc byte[64];
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                var rc = group
                    ? NativeMethods.GetGrGidR(id, record, p, (nuint)size, out var result)
                    : NativeMethods.GetPwUidR(id, record, p, (nuint)size, out result);
                if (rc == NativeMethods.ERange)
                {
                    continue;
                }

                if (rc != 0 || result == 0)
                {
                    return null;
                }

                return Marshal.PtrToStringUTF8(*(nint*)record);
            }
        }

        return null;
    }
}
