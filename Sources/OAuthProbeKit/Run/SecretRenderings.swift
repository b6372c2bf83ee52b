import Foundation

/// The forms a secret takes in what is sent and what a server answers, so the redactor can
/// replace each and the guards can see each: as written; percent-encoded (either hex case, `+`
/// or `%20` for a space, the sets of characters common encoders keep); base64 and base64url,
/// also inside a longer base64 text such as Basic credentials; the inside of a JSON string as
/// common encoders escape it; with HTML entities; and each of these in upper and in lower case.
/// A text whose escapes are written some other way (every character a reference, hex cases
/// mixed, zeros added) is matched once `UnescapedText` has undone them.
enum SecretRenderings {
    /// Every form of `value`, worked out once per process: a token that many probes share is
    /// learned by each of their redactors.
    static func of(_ value: String) -> Set<String> {
        if let known = memo.lock.withLock({ memo.forms[value] }) { return known }
        let forms = rendered(value)
        memo.lock.withLock { memo.forms[value] = forms }
        return forms
    }

    private final class Memo: @unchecked Sendable {
        let lock = NSLock()
        var forms: [String: Set<String>] = [:]
    }

    private static let memo = Memo()

    private static func rendered(_ value: String) -> Set<String> {
        var forms: Set<String> = [value]
        forms.formUnion(percentEncodings(of: value))
        forms.formUnion(base64(of: Array(value.utf8)))
        forms.formUnion(jsonStrings(of: value))
        forms.formUnion(htmlTexts(of: value))
        // A server or an `upper`/`lower` filter may change the case of any of them.
        return forms.union(forms.map { $0.uppercased() }).union(forms.map { $0.lowercased() })
    }

    // MARK: Percent-encoding

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    /// What encoders leave alone: forms (RFC 3986 unreserved), JavaScript's encodeURIComponent,
    /// Python's quote (`/`), a query as URLComponents writes it, and the `percent_encode` filter
    /// (everything encoded but `/`) or nothing kept at all.
    private static let keptSets: [Set<UInt8>] = [
        unreserved,
        unreserved.union("!'()*".utf8),
        unreserved.union("/".utf8),
        unreserved.union("!$&'()*+,;=:@/?".utf8),
        Set("/".utf8),
        [],
    ]

    private static func percentEncodings(of value: String) -> Set<String> {
        var forms: Set<String> = []
        for kept in keptSets {
            for uppercase in [true, false] {
                for spaceAsPlus in [false, true] where !spaceAsPlus || value.contains(" ") {
                    forms.insert(value.utf8.map { byte -> String in
                        if spaceAsPlus && byte == 0x20 { return "+" }
                        if kept.contains(byte) { return String(UnicodeScalar(byte)) }
                        return "%" + String(byte, radix: 16, uppercase: uppercase).leftPadded(to: 2)
                    }.joined())
                }
            }
        }
        return forms
    }

    // MARK: Base64

    /// The value's base64 and base64url, padded or not, and the characters that stand for the
    /// value alone wherever it sits in a longer encoded text (each of the three alignments).
    private static func base64(of bytes: [UInt8]) -> Set<String> {
        var forms: Set<String> = []
        let plain = Data(bytes).base64EncodedString()
        for offset in 0..<3 {
            let encoded = Data(Array(repeating: 0, count: offset) + bytes).base64EncodedString()
            // Characters 6 bits each: skip those that hold bits of the bytes before, stop before
            // those that hold bits of the bytes after.
            let first = (offset * 8 + 5) / 6
            let end = (offset + bytes.count) * 8 / 6
            guard end > first else { continue }
            forms.insert(String(Array(encoded)[first..<end]))
        }
        forms.insert(plain)
        forms.insert(plain.trimmingCharacters(in: ["="]))
        return forms.union(forms.map { $0.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") })
    }

    // MARK: JSON

    /// The inside of a JSON string as Foundation, Python (`ensure_ascii`), PHP (also `\/`),
    /// Go (`<>&` and U+2028/9), Gson (also `='`) and .NET (also `"'+` and non-ASCII, upper-case
    /// hex) write it.
    private static func jsonStrings(of value: String) -> Set<String> {
        let nonASCII: (Unicode.Scalar) -> Bool = { !$0.isASCII }
        let go: (Unicode.Scalar) -> Bool = { "<>&\u{2028}\u{2029}".unicodeScalars.contains($0) }
        let gson: (Unicode.Scalar) -> Bool = { "<>&='\u{2028}\u{2029}".unicodeScalars.contains($0) }
        let dotNet: (Unicode.Scalar) -> Bool = { !$0.isASCII || "<>&'\"+`".unicodeScalars.contains($0) }
        return [
            json(value, escaping: { _ in false }, slash: false, uppercase: false),
            json(value, escaping: nonASCII, slash: false, uppercase: false),
            json(value, escaping: nonASCII, slash: true, uppercase: false),
            json(value, escaping: go, slash: false, uppercase: false),
            json(value, escaping: gson, slash: false, uppercase: false),
            json(value, escaping: dotNet, slash: false, uppercase: true),
        ]
    }

    private static func json(_ value: String, escaping escape: (Unicode.Scalar) -> Bool, slash: Bool, uppercase: Bool) -> String {
        func unicode(_ unit: UInt16) -> String { "\\u" + String(unit, radix: 16, uppercase: uppercase).leftPadded(to: 4) }
        var out = ""
        for scalar in value.unicodeScalars {
            if escape(scalar) {
                out += String(scalar).utf16.map(unicode).joined()
                continue
            }
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where slash: out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += unicode(UInt16(scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: HTML

    /// The value as text or an attribute in HTML: named entities (with each way of writing `'`),
    /// decimal and hex character references, or only `&<>` escaped.
    private static func htmlTexts(of value: String) -> Set<String> {
        let named: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"]
        var forms: Set<String> = []
        for apostrophe in ["&#39;", "&#x27;", "&apos;", "&#039;"] {
            forms.insert(html(value) { $0 == "'" ? apostrophe : named[$0] })
        }
        forms.insert(html(value) { $0 == "\"" || $0 == "'" ? nil : named[$0] })
        let markup = Set<Character>("&<>\"'")
        let references: [(UInt32) -> String] = [{ "&#\($0);" }, { "&#x\(String($0, radix: 16));" }, { "&#x\(String($0, radix: 16, uppercase: true));" }]
        for reference in references {
            forms.insert(html(value) { markup.contains($0) ? reference($0.unicodeScalars.first!.value) : nil })
        }
        return forms
    }

    private static func html(_ value: String, _ entity: (Character) -> String?) -> String {
        value.map { entity($0) ?? String($0) }.joined()
    }
}
