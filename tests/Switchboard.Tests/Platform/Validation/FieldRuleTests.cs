using FluentValidation;
using Switchboard.Crm.Pipeline;
using Switchboard.Identity;
using Switchboard.Platform.Validation;

namespace Switchboard.Tests.Platform.Validation;

/// <summary>The email and E.164 rules, written once and used by every field that holds an address or a number.</summary>
public sealed class FieldRuleTests
{
    [Theory]
    [InlineData("ada@example.com", true)]
    [InlineData("ada.lovelace+crm@mail.example.co.uk", true)]
    [InlineData("ada@example", false)] // no dot in the domain
    [InlineData("ada@example.com.", false)] // a domain that ends in a dot (accepted by CRM fields before the rules were one)
    [InlineData("Ada <ada@example.com>", false)] // a display name
    [InlineData(" ada@example.com", false)]
    [InlineData("ada@example.com\n", false)]
    [InlineData("ada", false)]
    [InlineData("", false)]
    public void AnEmailIsTheAddressAloneWithADottedDomain(string value, bool valid)
    {
        EmailAddress.IsValid(value).ShouldBe(valid);
        // The CRM check and the FluentValidation rule of sign-up and invitations are the same rule.
        (Checks.Email(value) is null).ShouldBe(valid);
        new SignupRequestValidator().Validate(new SignupRequest(value, "a long passphrase", "Ada", "Analytical Engines"))
            .Errors.Any(e => e.PropertyName == nameof(SignupRequest.Email)).ShouldBe(!valid);
    }

    [Fact]
    public void MailAddressAloneTakesADomainThatEndsInADot()
    {
        // Why the rule tests the host's last character: the parser alone accepts "ada@example.com.", which the CRM copy
        // of the rule let through before there was one rule.
        System.Net.Mail.MailAddress.TryCreate("ada@example.com.", out var address).ShouldBeTrue();
        address!.Address.ShouldBe("ada@example.com.");
    }

    [Fact]
    public void AnEmailMayBe320CharactersAndNoMore()
    {
        // RFC 5321 §4.5.3.1: a local part of 64 characters, '@', a domain of 255.
        var domain = $"{new string('d', 63)}.{new string('e', 63)}.{new string('f', 63)}.{new string('g', 59)}.com";
        var at320 = new string('a', 64) + "@" + domain;
        at320.Length.ShouldBe(320);
        EmailAddress.IsValid(at320).ShouldBeTrue();
        EmailAddress.IsValid("a" + at320).ShouldBeFalse();
    }

    [Theory]
    [InlineData("+14155550123", true)]
    [InlineData("+44", true)] // the shortest the pattern allows: a country code and one digit
    [InlineData("+123456789012345", true)] // 15 digits
    [InlineData("+1234567890123456", false)] // 16 digits
    [InlineData("+04155550123", false)] // a country code starts with 1-9
    [InlineData("14155550123", false)]
    [InlineData("+1 415 555 0123", false)]
    [InlineData("+14155550123\n", false)] // accepted by the .NET regular expression before (its $ matches before a final newline)
    [InlineData("+1415555012٣", false)] // a non-ASCII digit
    [InlineData("+4", false)]
    public void APhoneNumberIsE164(string value, bool valid)
    {
        PhoneNumber.IsValid(value).ShouldBe(valid);
        (Checks.Phone(value) is null).ShouldBe(valid);
        // The OpenAPI document states the same rule as an ECMA-262 pattern, where $ is the end of the text.
        System.Text.RegularExpressions.Regex.IsMatch(value, PhoneNumber.Pattern.Replace("$", @"\z", StringComparison.Ordinal)).ShouldBe(valid);
    }

    [Theory]
    [InlineData("RateLimit.Requests", "rateLimit.requests")]
    [InlineData("AllowedIps[0]", "allowedIps[0]")]
    [InlineData("Name.Value", "name")]
    public void FieldsAreNamedAsInTheJsonBody(string property, string field) =>
        RequestValidation.CamelPath(property).ShouldBe(field);

    [Fact]
    public async Task RequiredFieldsAreRequiredOnCreateOnly()
    {
        IValidator<Switchboard.Crm.Chat.ChatMessageInput> validator = new Switchboard.Crm.Chat.ChatMessageInputValidator();
        var empty = new Switchboard.Crm.Chat.ChatMessageInput();
        (await validator.CheckAsync(empty, BodyUse.Create, CancellationToken.None)).ShouldNotBeNull();
        (await validator.CheckAsync(empty, BodyUse.Update, CancellationToken.None)).ShouldBeNull();
    }
}
