using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrantLedger.Web.Tests.Support;

/// <summary>Keeps the service's error logs, so that a test seeing a 500 can print the exception behind it.</summary>
public sealed class ServerErrors : ILoggerProvider
{
    private static readonly ConcurrentQueue<string> Errors = new();

    private static int _logged;

    public static string Recent() => string.Join("\n---\n", Errors.TakeLast(3));

    /// <summary>How many errors the service has logged so far (one that a request's refusal should not have caused shows here).</summary>
    public static int Logged => Volatile.Read(ref _logged);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);
    public void Dispose() { }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (level < LogLevel.Error) return;
            Interlocked.Increment(ref _logged);
            Errors.Enqueue($"{category}: {formatter(state, exception)}\n{exception}");
            while (Errors.Count > 20) Errors.TryDequeue(out _);
        }
    }
}
