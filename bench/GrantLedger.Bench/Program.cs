if (args is ["workbook", ..]) { Environment.ExitCode = await GrantLedger.Bench.WorkbookBench.RunAsync(args[1..]); return; }

Console.WriteLine("Hello, World!");
