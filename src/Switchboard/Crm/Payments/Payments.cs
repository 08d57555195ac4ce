using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Http;
using Switchboard.Platform.Resources;

namespace Switchboard.Crm.Payments;

public sealed class Payment : CrmRecord
{
    public long AmountMicros { get; set; }
    public string Currency { get; set; } = "";
    public string Status { get; set; } = PaymentStatus.Pending;
    public string? ContactId { get; set; }
    public string? DealId { get; set; }
    public string? Description { get; set; }
    public string? Method { get; set; }
    /// <summary>The payment's id at the processor (a Stripe charge, a bank reference).</summary>
    public string? ExternalId { get; set; }
    public string? FailureReason { get; set; }
    public DateTime? PaidAt { get; set; }
    public DateTime? RefundedAt { get; set; }
}

public sealed record PaymentInput : CrmInput
{
    public Optional<decimal?> Amount { get; init; }
    public Optional<string?> Currency { get; init; }
    public Optional<string?> Status { get; init; }
    public Optional<string?> ContactId { get; init; }
    public Optional<string?> DealId { get; init; }
    public Optional<string?> Description { get; init; }
    public Optional<string?> Method { get; init; }
    public Optional<string?> ExternalId { get; init; }
    public Optional<string?> FailureReason { get; init; }
}

public sealed record PaymentResponse(
    string Id, decimal Amount, string Currency, string Status, string? ContactId, string? DealId, string? Description, string? Method,
    string? ExternalId, string? FailureReason, DateTime? PaidAt, DateTime? RefundedAt, Dictionary<string, string> Metadata, DateTime CreatedAt, DateTime UpdatedAt);

internal sealed class PaymentInputValidator : CrmInputValidator<PaymentInput>
{
    public PaymentInputValidator()
    {
        Required(x => x.Amount);
        Check(x => x.Amount, v => v <= 0 ? "Must be greater than 0." : Checks.Amount()(v));
        Required(x => x.Currency);
        Check(x => x.Currency, Checks.Currency);
        Check(x => x.Status, Checks.OneOf(PaymentStatus.All));
        Check(x => x.ContactId, v => Checks.Id(ContactResource.Definition.IdPrefix, v));
        Check(x => x.DealId, v => Checks.Id(DealResource.Definition.IdPrefix, v));
        Check(x => x.Description, Checks.MaxLength(1_000));
        Check(x => x.Method, Checks.OneOf(PaymentMethod.All));
        Check(x => x.ExternalId, Checks.MaxLength(200));
        Check(x => x.FailureReason, Checks.MaxLength(500));
    }
}

internal sealed class PaymentConfiguration : IEntityTypeConfiguration<Payment>
{
    public void Configure(EntityTypeBuilder<Payment> b)
    {
        b.ConfigureRecord("payments");
        b.Property(x => x.Currency).HasMaxLength(3);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.ContactId).HasMaxLength(40);
        b.Property(x => x.DealId).HasMaxLength(40);
        b.Property(x => x.Description).HasMaxLength(1_000);
        b.Property(x => x.Method).HasMaxLength(20);
        b.Property(x => x.ExternalId).HasMaxLength(200);
        b.Property(x => x.FailureReason).HasMaxLength(500);
        b.HasOptionalLink<Payment, Contact>(x => x.ContactId);
        b.HasOptionalLink<Payment, Deal>(x => x.DealId);
        b.HasIndex(x => new { x.OrganizationId, x.Status });
    }
}

public static class PaymentResource
{
    public static PaymentResponse AsResponse(this Payment p) => new(p.Id, Money.FromMicros(p.AmountMicros), p.Currency, p.Status, p.ContactId, p.DealId,
        p.Description, p.Method, p.ExternalId, p.FailureReason, p.PaidAt, p.RefundedAt, p.Metadata, p.CreatedAt, p.UpdatedAt);

    public static readonly ResourceDefinition<Payment, PaymentInput, PaymentResponse> Definition = new()
    {
        Path = "payments", IdPrefix = "pay", ScopeResource = "payments", Singular = "payment", Plural = "payments", Tag = "Payments",
        Enumerations = [new("status", PaymentStatus.All), new("method", PaymentMethod.All)],
        Formats = [new("currency", FieldFormat.Currency)],
        Map = AsResponse,
        Apply = (p, i) =>
        {
            i.Amount.IfSet(v => p.AmountMicros = Money.ToMicros(v ?? 0));
            i.Currency.IfSet(v => p.Currency = v!);
            i.Status.IfSet(v => p.Status = v ?? PaymentStatus.Pending);
            i.ContactId.IfSet(v => p.ContactId = v);
            i.DealId.IfSet(v => p.DealId = v);
            i.Description.IfSet(v => p.Description = v.Clean());
            i.Method.IfSet(v => p.Method = v);
            i.ExternalId.IfSet(v => p.ExternalId = v.Clean());
            i.FailureReason.IfSet(v => p.FailureReason = v.Clean());
            i.Metadata.IfSet(v => p.Metadata = v ?? []);
        },
        OnChange = (p, _, now) =>
        {
            if (p.Status is PaymentStatus.Completed or PaymentStatus.Refunded) p.PaidAt ??= now;
            if (p.Status == PaymentStatus.Refunded) p.RefundedAt ??= now;
        },
        Invariants = (before, p) =>
        {
            if (before is not null && !PaymentStatus.CanMove(before.Status, p.Status))
                return new Dictionary<string, string[]> { ["status"] = [$"A {before.Status} payment cannot become {p.Status}."] };
            // Money already taken is not rewritten: amount and currency are fixed once the payment left pending.
            if (before is not null && before.Status != PaymentStatus.Pending && (Money.ToMicros(before.Amount) != p.AmountMicros || before.Currency != p.Currency))
                return new Dictionary<string, string[]> { ["amount"] = ["The amount and currency of a payment are fixed once it is no longer pending."] };
            return null;
        },
        StateEvents =
        [
            new("completed", "A payment completed.", (before, after) => before?.Status != after.Status && after.Status == PaymentStatus.Completed),
            new("failed", "A payment failed.", (before, after) => before?.Status != after.Status && after.Status == PaymentStatus.Failed),
            new("refunded", "A payment was refunded.", (before, after) => before?.Status != after.Status && after.Status == PaymentStatus.Refunded),
        ],
        References =
        [
            Reference.To<Payment, Contact>("contactId", p => p.ContactId, ContactResource.Definition.IdPrefix),
            Reference.To<Payment, Deal>("dealId", p => p.DealId, DealResource.Definition.IdPrefix),
        ],
        Filters =
        [
            Filter.Equal<Payment>("status", p => p.Status, PaymentStatus.All),
            Filter.Equal<Payment>("currency", p => p.Currency, check: Checks.Currency),
            Filter.Equal<Payment>("method", p => p.Method, PaymentMethod.All),
            Filter.Link<Payment>("contactId", p => p.ContactId, ContactResource.Definition.IdPrefix),
            Filter.Link<Payment>("dealId", p => p.DealId, DealResource.Definition.IdPrefix),
            Filter.Amount<Payment>("amount", p => p.AmountMicros),
            Filter.Time<Payment>("paid", p => p.PaidAt),
        ],
        Sorts = [Sorts.Amount<Payment>("amount", p => p.AmountMicros)],
        SearchFields = [p => p.Description, p => p.ExternalId],
    };
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
