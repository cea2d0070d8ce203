using System.Security.Cryptography;
using System.Text.Json;
using Dpm.Management;

namespace Dpm.Core.Licensing;

/// <summary>The verdict on a licence file's text.</summary>
public sealed record LicenceCheck(LicenceValidity Validity, LicenceContent? Content, string Message)
{
    public bool IsValid => Validity == LicenceValidity.Valid;
}

/// <summary>
/// The licence file format: a small JSON document holding the licence content (base64 of its JSON) and an
/// ECDSA P-256 / SHA-256 signature over exactly those bytes, with the id of the signing key.
/// </summary>
public static class LicenceFile
{
    public const string Format = "dpm-licence/1";

    private static readonly JsonSerializerOptions FileJson = new() { WriteIndented = true };

    private static readonly JsonSerializerOptions ContentJson = ManagementJson.Configure(new JsonSerializerOptions { WriteIndented = false });

    /// <summary>The id of a key: the first 8 bytes of the SHA-256 of its public key (SubjectPublicKeyInfo), in hex.</summary>
    public static string KeyId(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 8));
    }

    /// <summary>Writes a signed licence file's text.</summary>
    public static string Sign(LicenceContent content, ECDsa privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var payload = JsonSerializer.SerializeToUtf8Bytes(content, ContentJson);
        var signature = privateKey.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var file = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["keyId"] = KeyId(privateKey),
            ["payload"] = Convert.ToBase64String(payload),
            ["signature"] = Convert.ToBase64String(signature),
        };
        return JsonSerializer.Serialize(file, FileJson) + "\n";
    }

    /// <summary>Checks a licence file's text against the trusted public key and the current time.</summary>
    public static LicenceCheck Verify(string text, ECDsa trustedKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(trustedKey);
        Dictionary<string, string>? fields;
        try
        {
            fields = JsonSerializer.Deserialize<Dictionary<string, string>>(text);
        }
        catch (JsonException ex)
        {
            return Unreadable($"it is not a licence file (not JSON: {ex.Message.Split(". Path:")[0]})");
        }

        string[] expected = ["format", "keyId", "payload", "signature"];
        if (fields is null || fields.Count != expected.Length || !expected.All(fields.ContainsKey))
        {
            return Unreadable($"it is not a licence file (it must hold exactly {string.Join(", ", expected)})");
        }

        if (fields["format"] != Format)
        {
            return Unreadable($"its format '{fields["format"]}' is not {Format}");
        }

        var trustedId = KeyId(trustedKey);
        if (fields["keyId"] != trustedId)
        {
            return new LicenceCheck(LicenceValidity.UnknownKey, null,
                $"it is signed with key {fields["keyId"]}, but this server trusts only key {trustedId}: it was not issued for this product");
        }

        if (!TryStrictBase64(fields["payload"], out var payload) || !TryStrictBase64(fields["signature"], out var signature))
        {
            return Unreadable("its payload or signature is damaged (not canonical base64)");
        }

        if (!trustedKey.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return new LicenceCheck(LicenceValidity.BadSignature, null,
                "its signature does not match its content: the licence was altered or forged");
        }

        LicenceContent? content;
        try
        {
            content = JsonSerializer.Deserialize<LicenceContent>(payload, ContentJson);
        }
        catch (JsonException ex)
        {
            return Unreadable($"its signed content can't be read: {ex.Message}");
        }

        if (content is null || content.Computers.Client < 0 || content.Computers.Standard < 0 || content.Computers.Enterprise < 0
            || content.ExpiresAt <= content.IssuedAt)
        {
            return Unreadable("its signed content is inconsistent (negative counts or expiry before issue)");
        }

        if (now >= content.ExpiresAt)
        {
            return new LicenceCheck(LicenceValidity.Expired, content, $"it expired on {content.ExpiresAt:yyyy-MM-dd}");
        }

        if (now < content.IssuedAt.AddDays(-1))
        {
            return new LicenceCheck(LicenceValidity.NotYetValid, content,
                $"it is issued for {content.IssuedAt:yyyy-MM-dd}, which is in the future: check the server's clock");
        }

        return new LicenceCheck(LicenceValidity.Valid, content, $"valid until {content.ExpiresAt:yyyy-MM-dd}");
    }

    private static LicenceCheck Unreadable(string message) => new(LicenceValidity.Unreadable, null, message);

    private static bool TryStrictBase64(string text, out byte[] bytes)
    {
        bytes = [];
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return false;
        }

        bytes = buffer[..written];
        return Convert.ToBase64String(bytes) == text;
    }
}
