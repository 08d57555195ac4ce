using Switchboard.Platform;
using Switchboard.Platform.Cli;

// The shipped appsettings.json applies wherever the process is started from (ContentRoot). Configuration is read at
// start-up; not watching it for changes keeps a file watcher off the content root, which may hold the SQLite data
// directory (every database write woke the watcher's thread). A later argument can turn it back on.
var builder = WebApplication.CreateBuilder(ContentRoot.Options(["--hostBuilder:reloadConfigOnChange=false", .. args]));
if (AdminCli.IsAdminCommand(args))
    return await AdminCli.RunAsync(builder, args[1..]);

builder.AddSwitchboard();
var app = builder.Build();
await app.Services.InitializeSwitchboardAsync();
app.UseSwitchboard();
await app.RunAsync();
return 0;

public partial class Program;
