namespace Switchboard.Platform.Auth;

/// <summary>The result of checking one credential: a caller, or the status and stable code to refuse it with.</summary>
public readonly record struct AuthOutcome(Caller? Caller, int Status, string? Code, string? Detail)
{
    public static AuthOutcome Success(Caller caller) => new(caller, 200, null, null);
    public static AuthOutcome Fail(string code, string detail, int status = 401) => new(null, status, code, detail);
    public bool Succeeded => Caller is not null;
}
