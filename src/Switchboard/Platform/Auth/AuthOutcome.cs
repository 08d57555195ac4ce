namespace Switchboard.Platform.Auth;

/// <summary>
/// The result of checking one credential: a caller, or the status and stable code to refuse it with. A refusal may name
/// its own <c>WWW-Authenticate</c> challenge (a DPoP-bound token's, RFC 9449 §7.1); otherwise the Bearer one is sent.
/// </summary>
public readonly record struct AuthOutcome(Caller? Caller, int Status, string? Code, string? Detail, string? Challenge = null)
{
    public static AuthOutcome Success(Caller caller) => new(caller, 200, null, null);
    public static AuthOutcome Fail(string code, string detail, int status = 401, string? challenge = null) => new(null, status, code, detail, challenge);
    public bool Succeeded => Caller is not null;
}
