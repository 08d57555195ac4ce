namespace Switchboard.Crm;

/// <summary>The enumerations of CRM fields (lower case, as the contract fixes them).</summary>
public static class LeadStatus
{
    public const string New = "new", Contacted = "contacted", Qualified = "qualified", Unqualified = "unqualified", Converted = "converted";
    public static readonly IReadOnlyList<string> All = [New, Contacted, Qualified, Unqualified, Converted];
    /// <summary>What a client may set; <c>converted</c> is reached only by converting.</summary>
    public static readonly IReadOnlyList<string> Settable = [New, Contacted, Qualified, Unqualified];
}

public static class DealStage
{
    public const string Lead = "lead", Qualification = "qualification", Proposal = "proposal", Negotiation = "negotiation", Won = "won", Lost = "lost";
    public static readonly IReadOnlyList<string> All = [Lead, Qualification, Proposal, Negotiation, Won, Lost];
    public static bool IsClosed(string stage) => stage is Won or Lost;
}

public static class ActivityType
{
    public static readonly IReadOnlyList<string> All = ["call", "meeting", "note", "email"];
}

public static class TaskState
{
    public const string Open = "open", Completed = "completed";
    public static readonly IReadOnlyList<string> All = [Open, Completed];
}

public static class TicketPriority
{
    public static readonly IReadOnlyList<string> All = ["low", "normal", "high", "urgent"];
}

public static class TicketStatus
{
    public const string Open = "open", Pending = "pending", Resolved = "resolved", Closed = "closed";
    public static readonly IReadOnlyList<string> All = [Open, Pending, Resolved, Closed];
}

public static class CallDirection
{
    public static readonly IReadOnlyList<string> All = ["inbound", "outbound"];
}

public static class CallStatus
{
    public const string Ringing = "ringing", InProgress = "in_progress", Completed = "completed", Missed = "missed", Failed = "failed";
    public static readonly IReadOnlyList<string> All = [Ringing, InProgress, Completed, Missed, Failed];
    public static bool IsEnded(string status) => status is Completed or Missed or Failed;
}

public static class PaymentStatus
{
    public const string Pending = "pending", Completed = "completed", Failed = "failed", Refunded = "refunded";
    public static readonly IReadOnlyList<string> All = [Pending, Completed, Failed, Refunded];

    /// <summary>pending → completed | failed; completed → refunded. Terminal: failed, refunded.</summary>
    public static bool CanMove(string from, string to) => from == to || (from, to) switch
    {
        (Pending, Completed or Failed) => true,
        (Completed, Refunded) => true,
        _ => false,
    };
}

public static class PaymentMethod
{
    public static readonly IReadOnlyList<string> All = ["card", "bank_transfer", "cash", "check", "other"];
}

public static class ChatChannel
{
    public static readonly IReadOnlyList<string> All = ["web", "email", "sms", "whatsapp", "messenger", "other"];
}

public static class ChatSessionStatus
{
    public const string Open = "open", Closed = "closed";
    public static readonly IReadOnlyList<string> All = [Open, Closed];
}

public static class ChatAuthor
{
    public const string Visitor = "visitor", Agent = "agent", Bot = "bot";
    public static readonly IReadOnlyList<string> All = [Visitor, Agent, Bot];
}
