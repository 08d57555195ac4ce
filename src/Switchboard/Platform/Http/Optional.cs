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
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OptionalConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
    {
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? new Optional<T>(default, true) : new Optional<T>(JsonSerializer.Deserialize<T>(ref reader, options), true);

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Value, options);
    }
}
