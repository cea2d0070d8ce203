using Dpm.Server;

await using var app = DpmServer.Build(args);
await app.RunAsync();
