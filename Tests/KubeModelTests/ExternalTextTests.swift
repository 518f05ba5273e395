import KubeModel
import Testing

@Suite struct ExternalTextTests {
    @Test(arguments: [
        ("parse error: unexpected \"}\"", "parse error: unexpected \"}\""),
        ("\u{1B}[2Jcleared \u{1B}[31mred\u{1B}[0m", "cleared red"),
        ("a\u{0}b\u{7}c", "a b c"),
        ("line one\n\n  line two\r\n", "line one line two"),
        ("safe\u{202E}txt.exe", "safetxt.exe"),
        ("<html>\n<body>Bad Gateway</body>\n</html>", "<html> <body>Bad Gateway</body> </html>"),
    ])
    func outsideTextIsMadeSafeToEcho(_ input: String, _ expected: String) {
        #expect(ExternalText.sanitized(input) == expected)
    }

    @Test func longTextIsCut() {
        let text = ExternalText.sanitized(String(repeating: "x", count: 100_000), limit: 10)
        #expect(text == "xxxxxxxxxx…")
    }
}
