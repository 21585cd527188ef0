using Livepeer.Runner.Core.Configuration;

namespace Livepeer.Runner.Core.Tests;

public sealed class ModelIdRulesTests
{
    [Theory]
    [InlineData("SG161222/RealVisXL_V4.0_Lightning")]
    [InlineData("openai/whisper-large-v3")]
    [InlineData("meta-llama/Meta-Llama-3.1-8B-Instruct")]
    [InlineData("gpt2")]
    public void HubIds_AreSafe(string id) => Assert.True(ModelIdRules.IsSafe(id));

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData("org/..")]
    [InlineData("org/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("org\\name")]
    [InlineData("a/b/c")]
    [InlineData(".hidden/name")]
    [InlineData("org/name\n")]
    [InlineData("org/na me")]
    [InlineData("org/a..b")]
    [InlineData("c:/windows")]
    public void PathTricks_AreRefused(string id) => Assert.False(ModelIdRules.IsSafe(id));
}
