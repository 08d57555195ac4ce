using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Platform.Http;

/// <summary>
/// Reads every JSON string of a request body and refuses one holding a NUL (U+0000), as a field error: PostgreSQL's
/// text types cannot store it (SQLite can), so without this the same request would fail on one database and be stored
/// on the other. Writing is the built-in converter's. Property names (dictionary keys) get the same check.
/// </summary>
public sealed class StorableStringConverter : JsonConverter<string>
{
    /// <summary>Key of <see cref="Exception.Data"/>: the message of a field error raised while reading JSON.</summary>
    public const string FieldError = "Switchboard.FieldError";
    private const string NulMessage = "Must not contain the NUL character (U+0000).";

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"The JSON value could not be converted to {typeof(string)}.");
        return Checked(reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString()!);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string Checked(string value)
    {
        // Only a value with an escape can hold a NUL (a raw one is invalid JSON), but the check is one vectorized scan anyway.
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            var error = new JsonException(NulMessage);
            error.Data[FieldError] = NulMessage;
            throw error;
        }
        return value;
    }
}
