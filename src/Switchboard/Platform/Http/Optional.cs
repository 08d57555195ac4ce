using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Platform.Http;

/// <summary>
/// A PATCH field: tells "absent" (leave as is) from "null" (clear) from a value. A property missing from the JSON
/// never reaches the converter and stays <c>default</c>, i.e. <see cref="IsSet"/> = false.
/// </summary>
[JsonConverter(typeof(OptionalConverterFactory))]
public readonly record struct Optional<T>(T? Value, bool IsSet)
{
    public static implicit operator Optional<T>(T? value) => new(value, true);
}

internal sealed class OptionalConverterFactory : JsonConverterFactory
{
    /// <summary>Key of <see cref="Exception.Data"/>: the part of a JSON error's path below an Optional member.</summary>
    public const string NestedPath = "Switchboard.NestedJsonPath";

    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OptionalConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
    {
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return new Optional<T>(default, true);
            try
            {
                return new Optional<T>(JsonSerializer.Deserialize<T>(ref reader, options), true);
            }
            catch (JsonException e) when (e.Path is { } inner && inner.StartsWith('$'))
            {
                // The nested Deserialize reports the path from its own root ("$", or "$.first" inside an object). Thrown
                // again without a path, the outer serializer fills in where this member sits ("$.name"); the rest of the
                // path rides along, so an error names "name.first" rather than the whole body.
                var wrapped = new JsonException(e.Message, e);
                wrapped.Data[NestedPath] = inner[1..] + (e.Data[NestedPath] as string ?? "");
                throw wrapped;
            }
        }

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Value, options);
    }
}
