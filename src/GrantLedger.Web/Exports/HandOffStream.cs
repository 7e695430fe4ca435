using System.Buffers;
using System.Collections.Concurrent;

namespace GrantLedger.Web.Exports;

/// <summary>
/// A write-only stream that hands what is written, in 64 KB chunks, to a thread of its own that writes
/// them on to <paramref name="destination"/> — so a sheet's XML is produced on one core while it is
/// compressed into the zip on another. At most <paramref name="chunksInFlight"/> chunks wait (2 MB by
/// default): a writer faster than the compression waits, and memory stays flat.
/// </summary>
public sealed class HandOffStream(Stream destination, int chunksInFlight = 32) : Stream
{
    private const int ChunkSize = 1 << 16;
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _chunks = new(chunksInFlight);
    private readonly CancellationTokenSource _failed = new();
    private byte[] _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private int _used;
    private Exception? _error;
    private Thread? _consumer;
    private bool _completed;

    private void EnsureStarted()
    {
        if (_consumer is not null) return;
        _consumer = new Thread(Consume) { IsBackground = true, Name = "workbook compression" };
        _consumer.Start();
    }

    private void Consume()
    {
        try
        {
            foreach (var (buffer, length) in _chunks.GetConsumingEnumerable())
            {
                destination.Write(buffer, 0, length);
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e)
        {
            _error = e;
            _failed.Cancel();
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        EnsureStarted();
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, ChunkSize - _used);
            buffer[..n].CopyTo(_current.AsSpan(_used));
            _used += n;
            buffer = buffer[n..];
            if (_used == ChunkSize) HandOver();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    private void HandOver()
    {
        try
        {
            _chunks.Add((_current, _used), _failed.Token);
        }
        catch (OperationCanceledException)
        {
            throw new IOException("writing the compressed sheet failed", _error);
        }
        _current = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _used = 0;
    }

    /// <summary>Hands over the rest and waits until the destination has it all.</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        EnsureStarted();
        if (_used > 0) HandOver();
        _chunks.CompleteAdding();
        _consumer!.Join();
        if (_error is not null) throw new IOException("writing the compressed sheet failed", _error);
    }

    public override void Flush() { } // chunks go when full, and at Complete

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed)
        {
            _completed = true;
            _chunks.CompleteAdding();
            _consumer?.Join();
        }
        if (disposing)
        {
            _chunks.Dispose();
            _failed.Dispose();
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
