using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace GrantLedger.Web.Exports;

/// <summary>
/// Reads a table's rows on a second thread, a batch ahead of the writer: reading a row from the
/// database (decoding it, boxing its values) and writing it (CSV text, or XML cells) are each about
/// half of an export's work in this process, and a machine has more than one core. At most
/// <see cref="Batches"/> batches of <see cref="BatchSize"/> rows wait, so memory does not grow with rows.
/// </summary>
public static class ReadAhead
{
    public const int BatchSize = 512, Batches = 4;

    public static async IAsyncEnumerable<object?[]> Rows(Func<CancellationToken, IAsyncEnumerable<object?[]>> rows,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct); // the writer stopped: the reader stops too
        var channel = Channel.CreateBounded<List<object?[]>>(new BoundedChannelOptions(Batches) { SingleReader = true, SingleWriter = true });
        var reading = Task.Run(async () =>
        {
            try
            {
                var batch = new List<object?[]>(BatchSize);
                await foreach (var row in rows(stop.Token).WithCancellation(stop.Token))
                {
                    batch.Add(row);
                    if (batch.Count < BatchSize) continue;
                    await channel.Writer.WriteAsync(batch, stop.Token);
                    batch = new List<object?[]>(BatchSize);
                }
                if (batch.Count > 0) await channel.Writer.WriteAsync(batch, stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(ct))
                foreach (var row in batch)
                    yield return row;
        }
        finally
        {
            await stop.CancelAsync();
            await reading;
        }
    }
}
