import Foundation

/// Knows every secret a probe has seen (client secrets, the password, codes, tokens, PKCE
/// verifiers, session cookies) and replaces each with its fingerprint in anything that is
/// about to be shown or stored. Shared by one probe's steps; safe across threads.
public final class Redactor: @unchecked Sendable {
    private let lock = NSLock()
    private var values: Set<String> = []

    public init(secrets: [Secret] = []) {
        secrets.forEach { remember($0.value) }
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
        guard value.count >= Self.minimumLength else { return }
        #if DEBUG
        Self.witnessLock.withLock { _ = Self.witness.insert(value) }
        #endif
        lock.withLock {
            values.insert(value)
            // The same value as it appears in a query string or form body, and inside a JSON string.
            values.insert(FormEncoding.encode(value))
            if let json = try? JSONSerialization.data(withJSONObject: [value], options: [.withoutEscapingSlashes]) {
                values.insert(String(decoding: json.dropFirst(2).dropLast(2), as: UTF8.self))
            }
        }
    }

    /// The text with every known secret replaced by its fingerprint, longest first so a token
    /// that contains another is replaced whole.
    public func redact(_ text: String) -> String {
        let known = lock.withLock { values.sorted { $0.count > $1.count } }
        var output = text
        for value in known where output.contains(value) {
            output = output.replacingOccurrences(of: value, with: Fingerprint.of(value))
        }
        return output
    }

    /// Whether the text carries any secret the probe knows.
    public func containsSecret(_ text: String) -> Bool {
        let known = lock.withLock { values }
        return known.contains { text.contains($0) }
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
