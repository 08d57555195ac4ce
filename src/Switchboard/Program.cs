using Switchboard.Platform;
using Switchboard.Platform.Cli;

var builder = WebApplication.CreateBuilder(args);
if (AdminCli.IsAdminCommand(args))
    return await AdminCli.RunAsync(builder, args[1..]);

builder.AddSwitchboard();
var app = builder.Build();
await app.Services.InitializeSwitchboardAsync();
app.UseSwitchboard();
await app.RunAsync();
return 0;

public partial class Program;
