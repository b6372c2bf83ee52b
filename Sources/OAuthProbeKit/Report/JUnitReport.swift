import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// JUnit XML as GitLab, Jenkins and the GitHub reporters read it (the Jenkins xunit schema in
/// shared/junit): one flat `<testsuite>` per suite file per target, `<testcase name="ID[variant]"
/// classname="TARGET.SUITE">`, failures typed by probe id, times as fixed decimals.
public enum JUnitReport {
    /// Per testcase text: enough for a transcript, small enough that a CI page stays usable.
    static let caseTextLimit = 32_000

    /// - Note: the Jenkins xunit schema allows `file` on `<testsuite>` only, not on `<testcase>`:
    ///   each testsuite is one suite file, so it carries the file; each testcase's body names its line.
    public static func render(_ record: RunRecord) -> Data {
        let results = record.results
        let root = XMLElement(name: "testsuites")
        root.setAttributes(counts(results, name: "oauthprobe"))
        var groups: [(key: String, results: [ProbeResult])] = []
        for result in results {
            let key = "\(result.target).\(result.suite)"
            if let index = groups.firstIndex(where: { $0.key == key }) {
                groups[index].results.append(result)
            } else {
                groups.append((key, [result]))
            }
        }
        // When the run started: every suite's probes run interleaved from then on.
        let stamp = ISO8601DateFormatter().string(from: record.started)
        for group in groups {
            let suite = XMLElement(name: "testsuite")
            let first = group.results[0]
            suite.setAttributes(counts(group.results, name: group.key) + [
                ("skipped", String(group.results.filter { $0.verdict == .skip }.count)),
                ("timestamp", stamp),
                ("file", ReportText.xmlSafe(ReportText.relativePath(first.location.file))),
            ])
            if let target = record.targets.first(where: { $0.name == first.target }) {
                let properties = XMLElement(name: "properties")
                for (name, value) in [("target", target.name), ("issuer", target.issuer), ("suite", first.suite)] {
                    let property = XMLElement(name: "property")
                    property.setAttributes([("name", name), ("value", ReportText.xmlSafe(value))])
                    properties.addChild(property)
                }
                suite.addChild(properties)
            }
            for result in group.results { suite.addChild(testcase(result, classname: group.key)) }
            root.addChild(suite)
        }
        let document = XMLDocument(rootElement: root)
        document.characterEncoding = "UTF-8"
        document.version = "1.0"
        return document.xmlData(options: [.nodePrettyPrint])
    }

    private static func counts(_ results: [ProbeResult], name: String) -> [(String, String)] {
        let seconds = results.reduce(Duration.zero) { $0 + $1.duration }
        return [
            ("name", ReportText.xmlSafe(name)),
            ("tests", String(results.count)),
            ("failures", String(results.filter { $0.verdict == .fail }.count)),
            ("errors", String(results.filter { $0.verdict == .error }.count)),
            ("time", ReportText.seconds(seconds)),
        ]
    }

    private static func testcase(_ result: ProbeResult, classname: String) -> XMLElement {
        let testcase = XMLElement(name: "testcase")
        testcase.setAttributes([
            ("name", ReportText.xmlSafe(result.displayID)),
            ("classname", ReportText.xmlSafe(classname)),
            ("time", ReportText.seconds(result.duration)),
        ])
        // Attribute values are one line: readers show them as the headline.
        let headline = ReportText.xmlSafe(String(result.message.replacingOccurrences(of: "\n", with: " ").prefix(1_000)))
        let body = ReportText.xmlSafe(ReportText.bounded(ReportText.details(of: result), limit: caseTextLimit))
        switch (result.verdict, result.waiver?.kind) {
        case (.pass, .stale?):
            testcase.addChild(element("system-out", attributes: [], text: ReportText.xmlSafe(result.waiver!.summary)))
        case (.pass, _):
            break
        case (.fail, .expired?):
            let note = ReportText.xmlSafe(result.waiver!.summary)
            testcase.addChild(element("failure", attributes: [("type", result.probeID), ("message", "\(note) — \(headline)")], text: body))
        case (.fail, _):
            testcase.addChild(element("failure", attributes: [("type", result.probeID), ("message", headline)], text: body))
        case (.error, _):
            testcase.addChild(element("error", attributes: [("type", "error"), ("message", headline)], text: body))
        case (.skip, .waived?):
            // The failure stays readable under the waiver, so a reviewer can judge whether it still applies.
            testcase.addChild(element("skipped", attributes: [("type", "waived"), ("message", ReportText.xmlSafe(result.waiver!.summary))], text: body))
        case (.skip, _):
            // The reason as text too: some readers show only the element's text.
            testcase.addChild(element("skipped", attributes: [("message", headline)], text: ReportText.xmlSafe(result.message)))
        }
        if result.attempts > 1 {
            testcase.addChild(element("system-out", attributes: [], text: ReportText.attemptsNote(result)))
        }
        return testcase
    }

    private static func element(_ name: String, attributes: [(String, String)], text: String?) -> XMLElement {
        let element = XMLElement(name: name)
        element.setAttributes(attributes)
        if let text { element.stringValue = text }
        return element
    }
}

extension XMLElement {
    /// Attributes in the order given, so reports diff cleanly between runs.
    fileprivate func setAttributes(_ pairs: [(String, String)]) {
        for (name, value) in pairs {
            let attribute = XMLNode(kind: .attribute)
            attribute.name = name
            attribute.stringValue = value
            addAttribute(attribute)
        }
    }
}
