/// Links to the specification sections probes cite, derived from refs as suites write them.
enum SpecLinks {
    /// `RFC 9700 §4.1.3` → `https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3`; nil for refs
    /// that are not RFCs.
    static func url(for ref: String) -> String? {
        guard let match = ref.wholeMatch(of: #/\s*RFC\s*(\d+)\s*(?:§\s*([0-9A-Za-z.]+))?\s*/#) else { return nil }
        let base = "https://www.rfc-editor.org/rfc/rfc\(match.1)"
        guard let section = match.2 else { return base }
        let trimmed = section.hasSuffix(".") ? section.dropLast() : section
        return "\(base)#\(trimmed.first?.isLetter == true ? "appendix" : "section")-\(trimmed)"
    }
}
