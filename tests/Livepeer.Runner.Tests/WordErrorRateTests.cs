namespace Livepeer.Runner.Tests;

/// <summary>The test helper itself: edit distance over normalised words.</summary>
public sealed class WordErrorRateTests
{
    [Theory]
    [InlineData("he was not an ill disposed young man", "He was not an ill disposed young man.", 0)]
    [InlineData("he was not an ill disposed young man", "He was not an ill-sposed young man.", 1)]
    [InlineData("a more a amiable woman", "a more amiable woman", 1)]
    [InlineData("ten of clubs", "ten of clubs of clubs", 2)]
    [InlineData("five five", "", 2)]
    [InlineData("seven of clubs", "eleven of hearts", 2)]
    public void Errors_CountSubstitutionsDeletionsAndInsertions(string reference, string hypothesis, int expected) =>
        Assert.Equal(expected, WordErrorRate.Errors(reference, hypothesis));

    [Fact]
    public void Of_IsAllErrorsOverAllReferenceWords() =>
        Assert.Equal(3 / 7.0, WordErrorRate.Of([("a b c d", "a x c"), ("e f g", "e f g h")]));
}
