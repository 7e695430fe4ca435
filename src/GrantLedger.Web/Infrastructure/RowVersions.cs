using System.Globalization;
using GrantLedger.Core.Rules;

namespace GrantLedger.Web.Infrastructure;

/// <summary>
/// ETags from PostgreSQL's xmin, which changes with every update of a row. A client sends the ETag
/// it read back as If-Match, so a change applies only to the version it saw.
/// </summary>
public static class RowVersions
{
    public static string ETag(uint version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Without If-Match (or with *), any version; otherwise 409 "stale-version" when the record has changed.</summary>
    public static void Check(string record, uint version, string? ifMatch)
    {
        if (string.IsNullOrEmpty(ifMatch) || ifMatch == "*") return;
        var current = ETag(version);
        if (ifMatch.Split(',').Select(t => t.Trim().Replace("W/", "")).Contains(current)) return;
        throw new RuleBroken("stale-version",
            $"The {record} has changed since you read it (you sent If-Match {ifMatch}, it is now {current}). Read it again and retry.",
            409, details: new Dictionary<string, object?> { ["currentETag"] = current });
    }
}
