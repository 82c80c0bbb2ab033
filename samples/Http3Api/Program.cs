// A minimal API served over HTTP/1.1, HTTP/2 and HTTP/3 by Kestrel, with Pliant as its QUIC transport.
//   dotnet run --project samples/Http3Api -- --urls https://127.0.0.1:5001 \
//       --Kestrel:Certificates:Default:Path=cert.pem --Kestrel:Certificates:Default:KeyPath=key.pem
// (or the same keys in appsettings.json / environment variables, or the ASP.NET Core development certificate).
using Pliant.AspNetCore;
using Pliant.Samples.Http3Api;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UsePliantQuic(); // every https endpoint also serves HTTP/3; HTTP/1.1 and HTTP/2 responses carry Alt-Svc
var app = builder.Build();
Http3ApiEndpoints.Map(app);
app.Run();
