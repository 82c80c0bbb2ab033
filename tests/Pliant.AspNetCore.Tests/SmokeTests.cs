using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pliant.Http3;

namespace Pliant.AspNetCore.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task MinimalApiAnswersOverHttp3()
    {
        await using var host = await KestrelHost.StartAsync(app =>
        {
            app.MapGet("/", () => Results.Json(new { hello = "world", protocol = "h3" }));
        });
        var (quic, http) = await host.ConnectAsync();
        await using var _ = quic;
        using var response = await http.SendRequestAsync(new Http3Request { Authority = "localhost:" + host.Port, Path = "/" }).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(200, response.Status);
        var body = await new StreamReader(response.Content, Encoding.UTF8).ReadToEndAsync();
        Assert.Equal("{\"hello\":\"world\",\"protocol\":\"h3\"}", body);
        await http.CloseAsync();
    }
}
