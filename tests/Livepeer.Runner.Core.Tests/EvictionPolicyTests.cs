using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Core.Tests;

public sealed class EvictionPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static EvictionPolicy.Candidate<string> Model(string name, long bytes, int minutesAgo) => new(name, bytes, T0.AddMinutes(-minutesAgo));

    [Fact]
    public void OneModelFreeingEnough_TheColdestSuchIsChosen()
    {
        var chosen = EvictionPolicy.Choose([Model("warmish", 500, 1), Model("cold", 500, 10), Model("coldest-small", 100, 20)], 400);
        Assert.Equal(["cold"], chosen);
    }

    [Fact]
    public void NoSingleModelFreesEnough_LeastRecentlyUsedFirstUntilCovered()
    {
        var chosen = EvictionPolicy.Choose([Model("a", 200, 1), Model("b", 200, 5), Model("c", 200, 9)], 350);
        Assert.Equal(["c", "b"], chosen);
    }

    [Fact]
    public void NotEnoughIdleMemory_ChoosesNothing()
    {
        Assert.Null(EvictionPolicy.Choose([Model("a", 200, 1)], 350));
        Assert.Null(EvictionPolicy.Choose<string>([], 1));
    }

    [Fact]
    public void NoDeficit_ChoosesNobody() => Assert.Empty(EvictionPolicy.Choose([Model("a", 200, 1)], 0)!);
}
