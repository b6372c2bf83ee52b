import Foundation

/// Knows every secret a probe has seen (client secrets, the password, codes, tokens, PKCE
/// verifiers, session cookies) and replaces each with its fingerprint in anything that is
/// about to be shown or stored. Shared by one probe's steps; safe across threads.
public final class Redactor: @unchecked Sendable {
    private let lock = NSLock()
    /// The values as learned, every form each takes (`SecretRenderings`), and where to find them.
    private var learned: Set<String> = []
    private var forms: Set<String> = []
    private var matcher = SecretMatcher()

    public init(secrets: [Secret] = []) {
        secrets.forEach { remember($0.value) }
    }

    /// A redactor that starts out knowing what `other` knows (a target's secrets, worked out once
    /// for all its probes) and learns on its own from then on.
    public init(copying other: Redactor) {
        (learned, forms, matcher) = other.lock.withLock { (other.learned, other.forms, other.matcher) }
    }

    #if DEBUG
    /// Every value any redactor in this process learned, kept in memory only, so the redaction
    /// test can search every artifact for the exact codes and tokens the run saw. Debug builds only.
    nonisolated(unsafe) static var witness: Set<String> = []
    static let witnessLock = NSLock()
    #endif

    /// Values shorter than this are too likely to appear by chance (`1`, `ok`) to be replaced.
    static let minimumLength = 6

    public func remember(_ value: String) {
        guard value.count >= Self.minimumLength, lock.withLock({ !learned.contains(value) }) else { return }
        #if DEBUG
        Self.witnessLock.withLock { _ = Self.witness.insert(value) }
        #endif
        let renderings = SecretRenderings.of(value).filter { $0.count >= Self.minimumLength }
        lock.withLock {
            learned.insert(value)
            for form in renderings where forms.insert(form).inserted { matcher.insert(form) }
        }
    }

    /// The text with every known secret, in any of its forms, replaced by its fingerprint; where
    /// two overlap, both go, under one fingerprint.
    public func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let covered = Self.covered(in: bytes, by: lock.withLock { matcher })
        guard !covered.isEmpty else { return text }
        var output: [UInt8] = []
        var copied = 0
        for range in covered {
            output += bytes[copied..<range.lowerBound]
            output += Fingerprint.of(String(decoding: bytes[range], as: UTF8.self)).utf8
            copied = range.upperBound
        }
        output += bytes[copied...]
        return String(decoding: output, as: UTF8.self)
    }

    /// Where the forms stand in the text as written, and where they stand once its escapes are
    /// undone (`UnescapedText`); overlapping ranges merged.
    private static func covered(in bytes: [UInt8], by matcher: SecretMatcher) -> [Range<Int>] {
        let plain = matcher.covered(in: bytes)
        guard let unescaped = UnescapedText(bytes) else { return plain }
        let ranges = (plain + matcher.covered(in: unescaped.bytes).map(unescaped.source)).sorted { $0.lowerBound < $1.lowerBound }
        return ranges.reduce(into: []) { merged, range in
            if let last = merged.last, range.lowerBound < last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
    }

    /// Escapes lengthen a text: `&#x10FFFF;` stands for four bytes, `&#0112;` for one.
    static let longestEscapePerByte = 10

    /// The start of a text, at most `limit` characters, redacted before it is cut: a secret that
    /// straddles the cut is replaced whole, and no first characters of one are left at the end.
    public func redact(_ text: String, keepingAtMost limit: Int) -> (text: String, cut: Bool) {
        let matcher = lock.withLock { self.matcher }
        let window = text.prefix(limit + matcher.longest * Self.longestEscapePerByte)
        let redacted = redact(String(window))
        guard redacted.count > limit || window.count < text.count else { return (redacted, false) }
        // Anywhere before the end a whole form was there and was replaced; at the end may stand
        // the first characters of one the cut divided, as written or escaped, and an escape the
        // cut left unfinished.
        var kept = Array(redacted.prefix(limit).utf8)
        kept = Array(kept[..<(UnescapedText.unfinishedEscape(at: kept) ?? kept.count)])
        var end = matcher.danglingStart(in: kept) ?? kept.count
        if let unescaped = UnescapedText(kept), let start = matcher.danglingStart(in: unescaped.bytes) {
            end = min(end, unescaped.sourceStart(of: start))
        }
        return (String(decoding: kept[..<end], as: UTF8.self), true)
    }

    /// Whether the text carries any secret the probe knows, in any of its forms, escaped or not.
    public func containsSecret(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let matcher = lock.withLock { self.matcher }
        return matcher.contains(in: bytes) || UnescapedText(bytes).map { matcher.contains(in: $0.bytes) } ?? false
    }

    /// A header line as evidence: credentials and cookies never shown, only fingerprinted.
    public func redactHeader(name: String, value: String) -> String {
        switch name.lowercased() {
        case "authorization", "proxy-authorization":
            let parts = value.split(separator: " ", maxSplits: 1)
            let credential = parts.count == 2 ? String(parts[1]) : value
            remember(credential)
            return "\(name): \(parts.count == 2 ? "\(parts[0]) " : "")\(Fingerprint.of(credential))"
        case "cookie":
            let pairs = value.split(separator: ";").map { redactCookiePair(String($0)) }
            return "\(name): \(pairs.joined(separator: ";"))"
        case "set-cookie":
            let attributes = value.split(separator: ";", maxSplits: 1)
            let rest = attributes.count > 1 ? ";\(attributes[1])" : ""
            return "\(name): \(redactCookiePair(String(attributes[0])))\(rest)"
        default:
            return "\(name): \(redact(value))"
        }
    }

    private func redactCookiePair(_ pair: String) -> String {
        let parts = pair.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { return pair }
        let value = String(parts[1])
        remember(value)
        return "\(parts[0])=\(Fingerprint.of(value))"
    }
}
