using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Platform.Security;

/// <summary>
/// Encrypts secrets at rest with AES-256-GCM (NIST SP 800-38D): a fresh 96-bit nonce per value, a 128-bit tag,
/// and a caller-supplied purpose bound in as associated data, so a ciphertext moved to another column or row
/// fails to decrypt. Format: <c>v1.&lt;key id&gt;.&lt;base64(nonce | tag | ciphertext)&gt;</c>; the key id picks
/// the key, so old values keep decrypting after the key changes (configure the old one under PreviousKeys).
/// </summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly string _keyId;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public SecretProtector(byte[] key, IEnumerable<byte[]>? previousKeys = null)
    {
        if (key.Length != 32) throw new ArgumentException("The encryption key must be 32 bytes (base64 of 32 random bytes).", nameof(key));
        _key = key;
        _keyId = KeyId(key);
        _keys[_keyId] = key;
        foreach (var old in previousKeys ?? []) _keys.TryAdd(KeyId(old), old);
    }

    public string Protect(string plaintext, string purpose)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + TagSize + data.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(purpose));
        return $"v1.{_keyId}.{Convert.ToBase64String(output)}";
    }

    public string Unprotect(string protectedValue, string purpose)
    {
        var parts = protectedValue.Split('.');
        if (parts.Length != 3 || parts[0] != "v1") throw new CryptographicException("Not a protected value.");
        if (!_keys.TryGetValue(parts[1], out var key)) throw new CryptographicException("The key that protected this value is not configured.");
        var input = Convert.FromBase64String(parts[2]);
        if (input.Length < NonceSize + TagSize) throw new CryptographicException("Truncated protected value.");
        var plaintext = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(purpose));
        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>The id of the key that encrypts (the first 4 bytes of its SHA-256, in hex).</summary>
    public string CurrentKeyId => _keyId;

    /// <summary>Whether a key with this id is configured (the current one or one of PreviousKeys).</summary>
    public bool HasKey(string keyId) => _keys.ContainsKey(keyId);

    /// <summary>The id of the key that encrypted <paramref name="protectedValue"/> (<see cref="Protect"/>'s form), null when it is not in that form.</summary>
    public static string? KeyIdOf(string protectedValue)
    {
        var parts = protectedValue.Split('.');
        return parts.Length == 3 && parts[0] == "v1" ? parts[1] : null;
    }

    /// <summary>The id of the key that encrypted <paramref name="protectedValue"/> (<see cref="ProtectBytes"/>'s form), null when it is not in that form.</summary>
    public static string? KeyIdOf(ReadOnlySpan<byte> protectedValue) =>
        IsProtectedBytes(protectedValue) ? Convert.ToHexStringLower(protectedValue.Slice(1, KeyIdSize)) : null;

    /// <summary>The first byte of <see cref="ProtectBytes"/>'s output: no JSON or UTF-8 text begins with it.</summary>
    public const byte BytesFormatVersion = 0x01;
    private const int KeyIdSize = 4;

    /// <summary>
    /// Encrypts bytes as <see cref="Protect"/> does text, in a binary form for binary columns:
    /// <c>0x01 | key id (4 bytes) | nonce | tag | ciphertext</c>.
    /// </summary>
    public byte[] ProtectBytes(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var header = 1 + KeyIdSize;
        var output = new byte[header + NonceSize + TagSize + plaintext.Length];
        output[0] = BytesFormatVersion;
        Convert.FromHexString(_keyId).CopyTo(output.AsSpan(1, KeyIdSize));
        var nonce = output.AsSpan(header, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(header + NonceSize + TagSize), output.AsSpan(header + NonceSize, TagSize), Encoding.UTF8.GetBytes(purpose));
        return output;
    }

    /// <summary>Whether <paramref name="value"/> is in <see cref="ProtectBytes"/>'s form (rather than stored before it was encrypted).</summary>
    public static bool IsProtectedBytes(ReadOnlySpan<byte> value) => value.Length >= 1 + KeyIdSize + NonceSize + TagSize && value[0] == BytesFormatVersion;

    public byte[] UnprotectBytes(ReadOnlySpan<byte> protectedValue, string purpose)
    {
        if (!IsProtectedBytes(protectedValue)) throw new CryptographicException("Not a protected value.");
        if (!_keys.TryGetValue(Convert.ToHexStringLower(protectedValue.Slice(1, KeyIdSize)), out var key))
            throw new CryptographicException("The key that protected this value is not configured.");
        var header = 1 + KeyIdSize;
        var plaintext = new byte[protectedValue.Length - header - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(protectedValue.Slice(header, NonceSize), protectedValue[(header + NonceSize + TagSize)..], protectedValue.Slice(header + NonceSize, TagSize),
            plaintext, Encoding.UTF8.GetBytes(purpose));
        return plaintext;
    }

    /// <summary>
    /// A 256-bit key for <paramref name="purpose"/> derived from the installation key with HKDF-SHA256 (RFC 5869), so
    /// every node derives the same one and a key for one use (e.g. form tokens) reveals nothing of the others.
    /// </summary>
    public byte[] DeriveKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _key, 32, salt: [], info: Encoding.UTF8.GetBytes(purpose));

    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 4));

    /// <summary>
    /// Resolves the installation key: configuration first; with SQLite and none configured, a key file beside the
    /// database (created once, readable by the owner only). PostgreSQL deployments have several nodes, which must
    /// share one key, so there it must be configured.
    /// </summary>
    public static SecretProtector FromOptions(SwitchboardOptions options, string? sqliteDataDirectory)
    {
        var previous = options.Encryption.PreviousKeys.Select(Decode).ToList();
        if (!string.IsNullOrWhiteSpace(options.Encryption.Key)) return new SecretProtector(Decode(options.Encryption.Key), previous);
        if (options.Database.Provider != DatabaseProvider.Sqlite || sqliteDataDirectory is null)
            throw new InvalidOperationException("Switchboard:Encryption:Key (env Switchboard__Encryption__Key) must be set to base64 of 32 random bytes when using PostgreSQL.");

        Directory.CreateDirectory(sqliteDataDirectory);
        var path = Path.Combine(sqliteDataDirectory, "switchboard.key");
        if (!File.Exists(path))
        {
            var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            try
            {
                var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var stream = new FileStream(path, fileOptions);
                stream.Write(Encoding.ASCII.GetBytes(fresh));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }
        return new SecretProtector(Decode(File.ReadAllText(path).Trim()), previous);
    }

    private static byte[] Decode(string base64)
    {
        try { return Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { throw new InvalidOperationException("Switchboard:Encryption keys must be base64 of 32 bytes."); }
    }
}
