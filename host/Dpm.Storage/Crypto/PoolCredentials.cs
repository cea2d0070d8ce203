using System.Text;

namespace Dpm.Storage.Crypto;

/// <summary>What opens an encrypted pool: a passphrase or a key file. <see cref="None"/> opens only unencrypted pools.</summary>
public abstract record PoolCredentials
{
    public static PoolCredentials None { get; } = new NoCredentials();

    public static PoolCredentials FromPassphrase(string passphrase) => new Passphrase(passphrase);

    /// <summary>A key file's content (as <see cref="KeyFile.Generate"/> writes it).</summary>
    public static PoolCredentials FromKeyFile(string content) => new KeyFile(content);

    public sealed record Passphrase(string Value) : PoolCredentials
    {
        public override string ToString() => "Passphrase { *** }";
    }

    public sealed record KeyFile(string Content) : PoolCredentials
    {
        private const string Prefix = "dpm-pool-key-file/1:";

        /// <summary>A new key file's content: 32 random bytes, base64, with a format prefix.</summary>
        public static string Generate() => Prefix + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n";

        internal byte[] Secret()
        {
            var text = Content.Trim();
            if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            {
                throw new PoolAccessDeniedException("the key file is not a DpmPlugins pool key file");
            }

            try
            {
                var secret = Convert.FromBase64String(text[Prefix.Length..]);
                return secret.Length >= 32 ? secret : throw new PoolAccessDeniedException("the key file is too short");
            }
            catch (FormatException)
            {
                throw new PoolAccessDeniedException("the key file is damaged (not base64)");
            }
        }

        public override string ToString() => "KeyFile { *** }";
    }

    private sealed record NoCredentials : PoolCredentials;

    internal static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
