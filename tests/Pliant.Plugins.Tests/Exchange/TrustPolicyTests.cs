using System.Security.Cryptography;
using System.Text;
using Pliant.Plugins.Trust;

namespace Pliant.Plugins.Tests.Exchange;

public class TrustPolicyTests
{
    [Fact]
    public void TestModuleIsValidWebAssembly()
    {
        var wasm = TestModules.Observer();
        var sections = WasmSections.Read(wasm);
        Assert.Contains(sections, s => s.Name == WasmSections.ManifestSection);
        var manifest = ManifestRequest.FromModule(wasm);
        Assert.Equal("test.observer", manifest.Id);
        Assert.Equal(3, manifest.Operations.Count);
        Assert.Contains(new OperationRequest("rtt.update", "post"), manifest.Operations);
    }

    [Fact]
    public void SigningKeepsTheContentHashAndVerifies()
    {
        var wasm = TestModules.Observer();
        using var key = PluginSigner.CreateKey();
        var signed = PluginSigner.Sign(wasm, key);
        Assert.NotEqual(wasm.Length, signed.Length);
        Assert.Equal(PluginHash.Compute(wasm), PluginHash.Compute(signed));
        var sig = Assert.Single(PluginSignature.ReadAll(signed));
        Assert.Equal(PluginSignature.KeyIdOf(key), sig.KeyId);
        Assert.True(sig.Verify(PluginHash.Compute(signed), key));
        // Signing again with the same key replaces, with another key adds.
        Assert.Single(PluginSignature.ReadAll(PluginSigner.Sign(signed, key)));
        using var other = PluginSigner.CreateKey();
        Assert.Equal(2, PluginSignature.ReadAll(PluginSigner.Sign(signed, other)).Count);
    }

    [Fact]
    public void SignedModuleFromATrustedKeyIsAllowed()
    {
        using var key = PluginSigner.CreateKey();
        var signed = PluginSigner.Sign(TestModules.Observer(), key);
        var policy = new PluginTrustPolicy().TrustKey(Encoding.ASCII.GetBytes(PluginSigner.ExportPublicKeyPem(key)));
        var d = policy.Evaluate(signed, PluginOrigin.Peer);
        Assert.True(d.Allowed, d.Reason);
        Assert.Contains("signed by trusted key", d.Reason, StringComparison.Ordinal);
        Assert.Equal("test.observer", d.PluginId);
        // Raw SubjectPublicKeyInfo works too.
        Assert.True(new PluginTrustPolicy().TrustKey(key.ExportSubjectPublicKeyInfo()).Evaluate(signed, PluginOrigin.Peer).Allowed);
    }

    [Fact]
    public void SignatureByAnUntrustedKeyIsRefused()
    {
        using var key = PluginSigner.CreateKey();
        using var trusted = PluginSigner.CreateKey();
        var signed = PluginSigner.Sign(TestModules.Observer(), key);
        var d = new PluginTrustPolicy().TrustKey(trusted).Evaluate(signed, PluginOrigin.Peer);
        Assert.False(d.Allowed);
        Assert.Contains("no valid signature", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TamperedModuleFailsItsSignature()
    {
        using var key = PluginSigner.CreateKey();
        var signed = PluginSigner.Sign(TestModules.Observer(), key);
        // Flip one byte of the code section body (the local.get index stays valid wasm framing).
        var tampered = (byte[])signed.Clone();
        var code = WasmSections.Read(tampered).First(s => s.Id == 10);
        tampered[code.End - 2] ^= 0x01;
        var d = new PluginTrustPolicy().TrustKey(key).Evaluate(tampered, PluginOrigin.Peer);
        Assert.False(d.Allowed);

        // A signature that is not even DER.
        var garbage = WasmSections.AppendCustomSection(TestModules.Observer(), WasmSections.SignatureSection,
            new PluginSignature(PluginSignature.KeyIdOf(key), [1, 2, 3]).ToJson());
        Assert.False(new PluginTrustPolicy().TrustKey(key).Evaluate(garbage, PluginOrigin.Peer).Allowed);
    }

    [Fact]
    public void HashAllowListAllows()
    {
        var wasm = TestModules.Observer();
        var policy = new PluginTrustPolicy().AllowHash(PluginHash.ToHex(PluginHash.Compute(wasm)));
        var d = policy.Evaluate(wasm, PluginOrigin.Peer);
        Assert.True(d.Allowed, d.Reason);
        Assert.Equal("hash allow-listed", d.Reason);
        var unknown = new PluginTrustPolicy().Evaluate(wasm, PluginOrigin.Peer);
        Assert.False(unknown.Allowed);
        Assert.Equal("hash not allow-listed and module not signed", unknown.Reason);
    }

    [Fact]
    public void RemotePeerCannotReplaceCongestionControlEvenWhenTrusted()
    {
        var wasm = TestModules.CcReplacer();
        var policy = new PluginTrustPolicy().AllowModule(wasm);
        var d = policy.Evaluate(wasm, PluginOrigin.Peer);
        Assert.False(d.Allowed);
        Assert.Equal("operation cc.on_ack:replace is not allowed for a remote peer", d.Reason);
        // The application itself may attach it.
        Assert.True(policy.Evaluate(wasm, PluginOrigin.Application).Allowed);
        // And the operator may open it up explicitly.
        policy.AllowRemoteOperation("cc.on_ack", "replace");
        Assert.True(policy.Evaluate(wasm, PluginOrigin.Peer).Allowed);
    }

    [Theory]
    [InlineData("packet.on_lost", "post", true)]
    [InlineData("packet.on_lost", "pre", false)]
    [InlineData("rtt.update", "post", true)]
    [InlineData("conn.on_closed", "post", true)]
    [InlineData("cc.window", "replace", true)]
    [InlineData("cc.pacing_rate", "replace", true)]
    [InlineData("cc.on_congestion_event", "replace", false)]
    [InlineData("cc.on_packet_sent", "pre", false)]
    [InlineData("recovery.pto", "replace", false)]
    [InlineData("frame.process[0x40]", "replace", true)]
    [InlineData("tp.write[0x5555]", "replace", true)]
    public void DefaultRemoteOperations(string op, string anchor, bool allowed) =>
        Assert.Equal(allowed, new PluginTrustPolicy().IsRemoteOperationAllowed(new OperationRequest(op, anchor)));

    [Fact]
    public void MissingAnchorCountsAsReplace()
    {
        var m = ManifestRequest.Parse("{\"id\":\"x\",\"exports\":[{\"name\":\"a\",\"operation\":\"recovery.pto\"}]}"u8);
        Assert.Equal("replace", Assert.Single(m.Operations).Anchor);
    }

    [Fact]
    public void OversizeAndMalformedModulesAreRefused()
    {
        var big = TestModules.Observer(padding: 2 << 20);
        var policy = new PluginTrustPolicy().AllowModule(big);
        var d = policy.Evaluate(big, PluginOrigin.Peer);
        Assert.False(d.Allowed);
        Assert.Contains("exceeds", d.Reason, StringComparison.Ordinal);

        Assert.StartsWith("malformed module", policy.Evaluate([0, 1, 2, 3], PluginOrigin.Peer).Reason, StringComparison.Ordinal);
        var noManifest = WasmSections.RemoveCustomSections(TestModules.Observer(), WasmSections.ManifestSection);
        Assert.Contains("no pliant.manifest", policy.Evaluate(noManifest, PluginOrigin.Peer).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DenyRemoteRefusesEverything()
    {
        var wasm = TestModules.Observer();
        var policy = PluginTrustPolicy.DenyRemote().AllowModule(wasm);
        Assert.False(policy.Evaluate(wasm, PluginOrigin.Peer).Allowed);
        Assert.True(policy.Evaluate(wasm, PluginOrigin.Application).Allowed);
    }

    [Fact]
    public void KeyPemRoundTrip()
    {
        using var key = PluginSigner.CreateKey();
        string pem = PluginSigner.ExportPrivateKeyPem(key);
        Assert.Contains("BEGIN PRIVATE KEY", pem, StringComparison.Ordinal);
        using var loaded = PluginSigner.ImportPrivateKeyPem(pem);
        Assert.Equal(PluginSignature.KeyIdOf(key), PluginSignature.KeyIdOf(loaded));
        using var rsa = RSA.Create(2048);
        Assert.Throws<ArgumentException>(() => new PluginTrustPolicy().TrustKey(Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem())));
    }

    [Fact]
    public void PluginHostLoadsTheTestModules()
    {
        // The host loads modules with Pliant.Wasm and checks the manifest: the test modules must pass, signed or not.
        using var key = PluginSigner.CreateKey();
        foreach (var wasm in new[] { TestModules.Observer(), TestModules.CcReplacer(), PluginSigner.Sign(TestModules.Observer(padding: 5000), key) })
        {
            var module = PluginModule.Load(wasm);
            var request = ManifestRequest.FromModule(wasm);
            Assert.Equal(module.Id, request.Id);
            Assert.Equal(module.Manifest.Bindings.Select(b => new OperationRequest(b.Operation, b.Anchor)), request.Operations);
            Assert.Equal(new PluginTrustPolicy().AllowModule(wasm).Evaluate(wasm, PluginOrigin.Peer), new PluginTrustPolicy().AllowModule(wasm).Evaluate(module, PluginOrigin.Peer));
        }
    }
}
