using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Switchboard.Platform;

namespace Switchboard.Identity;

/// <summary>
/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 128-bit random salt and a 256-bit derived key. The iteration count
/// is stored with each hash, so raising <see cref="AuthOptions.PasswordHashIterations"/> upgrades hashes on
/// the next successful login. Format: <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt b64&gt;$&lt;hash b64&gt;</c>.
/// </summary>
public sealed class PasswordHasher(IOptions<SwitchboardOptions> options)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltSize = 16;
    private const int HashSize = 32;
    private int Iterations => options.Value.Auth.PasswordHashIterations;

    // Verified against when the account does not exist, so a miss costs the same time as a wrong password.
    private readonly Lazy<string> _dummyHash = new(() => HashWith("not-a-real-password", options.Value.Auth.PasswordHashIterations));

    public string Hash(string password) => HashWith(password, Iterations);

    private static string HashWith(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltSize);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashSize);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public PasswordVerification Verify(string? storedHash, string password)
    {
        if (storedHash is null)
        {
            Verify(_dummyHash.Value, password);
            return PasswordVerification.Failed;
        }
        var parts = storedHash.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
            return PasswordVerification.Failed;
        byte[] salt, expected;
        try { salt = Convert.FromBase64String(parts[2]); expected = Convert.FromBase64String(parts[3]); }
        catch (FormatException) { return PasswordVerification.Failed; }
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected)) return PasswordVerification.Failed;
        return iterations < Iterations ? PasswordVerification.SuccessRehashNeeded : PasswordVerification.Success;
    }
}

public enum PasswordVerification { Failed, Success, SuccessRehashNeeded }
