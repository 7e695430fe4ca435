using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GrantLedger.Core.Money;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// Money at the API edge: a decimal string with two places, "1234.50". Reading also accepts
/// "1234.5" and a bare JSON number, taken from its digits (never through binary floating point);
/// more than two decimal places is refused, naming the field.
/// </summary>
public sealed class MoneyJsonConverter : JsonConverter<Money>
{
    public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            _ => throw new JsonException("must be an amount in pounds as a string, such as \"1234.50\""),
        };
        return Money.TryParse(text, out var money, out var error)
            ? money
            : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToDecimalString());
}

public sealed class NullableMoneyJsonConverter : JsonConverter<Money?>
{
    private static readonly MoneyJsonConverter Inner = new();

    public override Money? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Inner.Read(ref reader, typeof(Money), options);

    public override void Write(Utf8JsonWriter writer, Money? value, JsonSerializerOptions options)
    {
        if (value is { } m) Inner.Write(writer, m, options);
        else writer.WriteNullValue();
    }

    public override bool HandleNull => true;
}

/// <summary>Hours or days as a JSON number or string with at most two decimal places, read from its digits.</summary>
public sealed class QuantityJsonConverter : JsonConverter<Quantity>
{
    public override Quantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            _ => throw new JsonException("must be a number such as 1.5"),
        };
        return Quantity.TryParse(text, out var q) ? q : throw new JsonException("must be a number with at most two decimal places, such as 1.5");
    }

    public override void Write(Utf8JsonWriter writer, Quantity value, JsonSerializerOptions options) => writer.WriteRawValue(value.ToString());
}

public static class JsonSetup
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new MoneyJsonConverter());
        options.Converters.Add(new NullableMoneyJsonConverter());
        options.Converters.Add(new QuantityJsonConverter());
        options.Converters.Add(new StoredTextJsonConverter());
        options.Converters.Add(new DateJsonConverter());
        options.Converters.Add(new UtcMomentJsonConverter());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.MaxDepth = 32;
        // {"amount": "1.00", "amount": "9999.00"}: refused, not read as its last value while a proxy, a log or a signature
        // reads the first
        options.AllowDuplicateProperties = false;
        // {"line": […]} for "lines": refused naming it (MalformedRequest), as the OpenAPI document's additionalProperties: false
        // says, not dropped, which approved a claim in full that its lead meant to approve for less
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    }
}

/// <summary>
/// A date as YYYY-MM-DD, as the framework's own reads it, but refused with a reason the caller can act on ("2026-02-30"
/// was "has the wrong type").
/// </summary>
public sealed class DateJsonConverter : JsonConverter<DateOnly>
{
    public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
        && Core.Ledger.IsoDate.TryParse(reader.GetString(), out var date)
            ? date
            : throw new JsonException("must be a date that exists, as YYYY-MM-DD (2026-10-05)");

    public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>
/// A moment as the API gives it: in UTC, marked Z ("2026-12-05T01:32:14.440116Z"), as its CSV answers and the exports give
/// it, where the answers gave "+00:00"; read as an ISO 8601 moment with its offset.
/// </summary>
public sealed class UtcMomentJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var moment)
            ? moment
            : throw new JsonException("must be a moment as ISO 8601 with its offset, such as 2026-10-05T09:30:00Z");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime);

    /// <summary>
    /// The moment as an answer's JSON gives it, for the same query's CSV: to the microsecond PostgreSQL keeps, no trailing
    /// zeros, no fraction when it has none ("2026-12-05T01:32:14.44Z"). The CSVs gave .NET's seven digits, "….4400000Z".
    /// </summary>
    public static string Text(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Text the database can store: PostgreSQL's text holds no NUL character, so a string with one is
/// refused at the edge, naming the field, rather than failing on the way in.
/// </summary>
public sealed class StoredTextJsonConverter : JsonConverter<string>
{
    /// <summary>Why text with a NUL is refused, for a JSON body's field and a query's parameter alike.</summary>
    public const string NoNul = "must not contain the NUL character (\\u0000)";

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("must be a string");
        var value = reader.GetString()!;
        return value.Contains('\0') ? throw new JsonException(NoNul) : value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
