import Testing

/// Every subcommand parses its own definition (duplicate option names only show at run time) and
/// documents itself with examples.
@Suite("altclip --help")
struct HelpTests {
    static let subcommands = ["classify", "similarity", "embed", "inspect", "tokenize", "decode", "preprocess",
                              "forward", "convert"]

    @Test(arguments: subcommands)
    func helpWorks(_ name: String) throws {
        let result = try CLI.run([name, "--help"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("USAGE: altclip \(name)"))
        #expect(result.stdout.contains("altclip \(name) --model"), "help of \(name) has an example")
    }

    @Test func topLevelHelpListsEverySubcommand() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        for name in Self.subcommands { #expect(result.stdout.contains(name)) }
    }
}
