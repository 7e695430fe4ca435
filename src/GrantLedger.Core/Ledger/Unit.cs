using GrantLedger.Core.Money;

namespace GrantLedger.Core.Ledger;

/// <summary>Each unit is its own ledger; a transfer never mixes units.</summary>
public enum Unit
{
    /// <summary>Sterling, in pence.</summary>
    Gbp,
    /// <summary>Staff time, in minutes.</summary>
    Minutes,
}

public static class Units
{
    public static string ToCode(this Unit unit) => unit == Unit.Gbp ? "GBP" : "MIN";

    /// <summary>The units' codes, as the API takes and gives them.</summary>
    public static readonly string[] Codes = ["GBP", "MIN"];

    public static Unit Parse(string code) => code switch
    {
        "GBP" => Unit.Gbp,
        "MIN" => Unit.Minutes,
        _ => throw new ArgumentException($"unknown unit '{code}'", nameof(code)),
    };

    public static bool TryParse(string? code, out Unit unit)
    {
        unit = code == "MIN" ? Unit.Minutes : Unit.Gbp;
        return code is "GBP" or "MIN";
    }

    /// <summary>How an amount in this unit reads to a person: "£1,234.50", "2.16 days" or "17.75 hours" (Minutes.ToString).</summary>
    public static string Describe(this Unit unit, long amount) =>
        unit == Unit.Gbp ? new Money.Money(amount).ToString() : new Minutes(amount).ToString();
}
