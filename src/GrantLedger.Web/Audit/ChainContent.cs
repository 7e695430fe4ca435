using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GrantLedger.Web.Audit;

/// <summary>
/// What a seal's hash covers: a record's content as one line of compact JSON (an array of its
/// columns, in a fixed order), so that anyone can recompute it from the database with another tool —
/// Python's <c>json.dumps(row, ensure_ascii=False, separators=(",", ":"))</c> writes the same bytes.
/// hash(n) = SHA-256(hash(n-1) ‖ UTF-8 content); hash(0) is 32 zero bytes.
/// </summary>
public static class ChainContent
{
    public static readonly byte[] Genesis = new byte[32];

    public sealed record TransferColumns(long Id, string Unit, long DebitAccountId, long CreditAccountId, long Amount, string Kind, long? PendingId);

    public sealed record EntryColumns(long Id, long ProgrammeId, DateOnly ValueDate, DateTime RecordedAt, string Description, long? ActorId,
        string CauseType, long? CauseId, long? ReversesEntryId, IReadOnlyList<TransferColumns> Transfers);

    public sealed record EventColumns(long Id, DateTime OccurredAt, long? UserId, string? UserName, string? Role, string Action,
        string RecordType, long? RecordId, long? ProgrammeId, string Details, string? ClientAddress);

    /// <summary>["journal_entry", id, programme, value date, recorded at, description, actor, cause type, cause id, reverses,
    /// [[transfer id, unit, debit account, credit account, amount, kind, pending id], …]]</summary>
    public static string Of(EntryColumns e)
    {
        var w = new Writer();
        w.Open().Str("journal_entry").Num(e.Id).Num(e.ProgrammeId).Str(Date(e.ValueDate)).Str(Instant(e.RecordedAt))
            .Str(e.Description).Num(e.ActorId).Str(e.CauseType).Num(e.CauseId).Num(e.ReversesEntryId).Open();
        foreach (var t in e.Transfers)
            w.Open().Num(t.Id).Str(t.Unit).Num(t.DebitAccountId).Num(t.CreditAccountId).Num(t.Amount).Str(t.Kind).Num(t.PendingId).Close();
        return w.Close().Close().ToString();
    }

    /// <summary>["audit_event", id, occurred at, user id, user name, role, action, record type, record id, programme,
    /// details (jsonb as PostgreSQL prints it), client address]</summary>
    public static string Of(EventColumns e) =>
        new Writer().Open().Str("audit_event").Num(e.Id).Str(Instant(e.OccurredAt)).Num(e.UserId).Str(e.UserName).Str(e.Role)
            .Str(e.Action).Str(e.RecordType).Num(e.RecordId).Num(e.ProgrammeId).Str(e.Details).Str(e.ClientAddress).Close().ToString();

    public static byte[] Hash(byte[] previous, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var buffer = new byte[previous.Length + bytes.Length];
        previous.CopyTo(buffer, 0);
        bytes.CopyTo(buffer, previous.Length);
        return SHA256.HashData(buffer);
    }

    /// <summary>A date as yyyy-MM-dd.</summary>
    public static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A moment in UTC to the microsecond, as PostgreSQL keeps it: 2026-09-01T10:15:30.123456Z.</summary>
    public static string Instant(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Compact JSON with Python's escaping: only the quote, the backslash and control characters are escaped.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _sb = new();
        private bool _first = true;

        public Writer Open()
        {
            Comma();
            _sb.Append('[');
            _first = true;
            return this;
        }

        public Writer Close()
        {
            _sb.Append(']');
            _first = false;
            return this;
        }

        public Writer Num(long? value)
        {
            Comma();
            _sb.Append(value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "null");
            return this;
        }

        public Writer Str(string? value)
        {
            Comma();
            if (value is null)
            {
                _sb.Append("null");
                return this;
            }
            _sb.Append('"');
            foreach (var c in value)
            {
                switch (c)
                {
                    case '"': _sb.Append("\\\""); break;
                    case '\\': _sb.Append("\\\\"); break;
                    case '\n': _sb.Append("\\n"); break;
                    case '\r': _sb.Append("\\r"); break;
                    case '\t': _sb.Append("\\t"); break;
                    case '\b': _sb.Append("\\b"); break;
                    case '\f': _sb.Append("\\f"); break;
                    default:
                        if (c < 0x20) _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else _sb.Append(c);
                        break;
                }
            }
            _sb.Append('"');
            return this;
        }

        private void Comma()
        {
            if (!_first) _sb.Append(',');
            _first = false;
        }

        public override string ToString() => _sb.ToString();
    }
}
