using System.Runtime.Versioning;

// The File workload and its tests are for Linux: they use libc, loop mounts and POSIX metadata.
[assembly: SupportedOSPlatform("linux")]
