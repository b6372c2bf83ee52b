import Foundation

/// Debian's `chromium`, headless, to see a report as a reviewer's browser shows it.
enum Chromium {
    static let path = try? executableOnPath("chromium")
    /// scripts/test installs it; a plain `swift test` without it skips the browser checks.
    static let available = path != nil || ReferenceServers.enabled

    /// The text Chromium renders for the page (`innerText`: what CSS leaves visible, folded
    /// `<details>` excluded). A copy of the page gets one line of script that writes it out.
    static func renderedText(ofHTML html: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oauthprobe-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let probe = "<script>const t=document.createElement('pre');t.id='rendered-text';t.textContent=document.body.innerText;document.documentElement.appendChild(t);</script>"
        let page = folder.appendingPathComponent("report.html")
        try html.replacingOccurrences(of: "</body>", with: probe + "</body>").write(to: page, atomically: true, encoding: .utf8)
        let dom = try run(["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.path)/profile", "--dump-dom", page.absoluteString])
        guard let start = dom.range(of: "<pre id=\"rendered-text\">"), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw FixtureError(description: "Chromium did not render the page: \(dom.prefix(300))")
        }
        return String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    private static func run(_ arguments: [String]) throws -> String {
        guard let path else { throw FixtureError(description: "chromium is not installed (scripts/install-deps installs it)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
