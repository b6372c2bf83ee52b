/// A text with the escapes a server may wrap an echoed value in undone, each byte of the result
/// knowing the stretch of the text it came from: a secret found in the unescaped bytes is then
/// replaced where it stands, however each of its characters was written. Undone in one pass:
/// HTML character references (decimal or hex in either case, any leading zeros, with or without
/// `;`, and `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` in any case), JSON escapes (`\u` in either hex
/// case, surrogate pairs, `\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t`) and percent-escapes in either
/// hex case. Writing out each encoder's choices instead cannot keep up: one escaped character,
/// a mix of hex cases or a zero more makes another rendering.
struct UnescapedText {
    private(set) var bytes: [UInt8] = []
    /// For each unescaped byte, where in the text the escape (or the byte) it comes from stands.
    private var sources: [Range<Int>] = []

    /// Nil when the text holds nothing that could be an escape: it reads as it is.
    init?(_ text: [UInt8]) {
        guard text.contains(where: { $0 == Self.ampersand || $0 == Self.backslash || $0 == Self.percent }) else { return nil }
        bytes.reserveCapacity(text.count)
        sources.reserveCapacity(text.count)
        var position = 0
        while position < text.count {
            if let (value, end) = Self.escape(in: text, at: position) {
                bytes += value
                sources += Array(repeating: position..<end, count: value.count)
                position = end
            } else {
                bytes.append(text[position])
                sources.append(position..<position + 1)
                position += 1
            }
        }
    }

    /// The stretch of the text that unescaped bytes `range` come from.
    func source(of range: Range<Int>) -> Range<Int> {
        sources[range.lowerBound].lowerBound..<sources[range.upperBound - 1].upperBound
    }

    /// Where in the text the unescaped byte at `offset` starts.
    func sourceStart(of offset: Int) -> Int { sources[offset].lowerBound }

    /// Where an escape that the text's end cuts short starts (`&#11`, `&#x000`, `\u00`, `%2`, `&am`):
    /// what it would have been cannot be told, so a text cut there loses it.
    static func unfinishedEscape(at end: [UInt8]) -> Int? {
        // A numeric reference with no `;` yet, however many zeros it is padded with.
        var start = end.count
        while start > 0, end[start - 1].isHexDigit { start -= 1 }
        if start > 0, end[start - 1] | 0x20 == UInt8(ascii: "x") { start -= 1 }
        if start > 1, end[start - 1] == UInt8(ascii: "#"), end[start - 2] == ampersand { return start - 2 }
        // The others are a few bytes long at most.
        for start in max(0, end.count - 5)..<end.count {
            let rest = end[(start + 1)...]
            switch end[start] {
            case percent where rest.count < 2 && rest.allSatisfy(\.isHexDigit): return start
            case backslash where rest.isEmpty || rest.first! | 0x20 == UInt8(ascii: "u") && rest.dropFirst().allSatisfy(\.isHexDigit): return start
            case ampersand where rest.allSatisfy(\.isASCIILetter): return start
            default: continue
            }
        }
        return nil
    }

    private static let ampersand = UInt8(ascii: "&"), backslash = UInt8(ascii: "\\"), percent = UInt8(ascii: "%")

    /// The escape at `position`, if one starts there: the bytes it stands for and where it ends.
    private static func escape(in text: [UInt8], at position: Int) -> ([UInt8], Int)? {
        switch text[position] {
        case ampersand: characterReference(in: text, at: position)
        case backslash: jsonEscape(in: text, at: position)
        case percent:
            if position + 2 < text.count, let high = text[position + 1].hexValue, let low = text[position + 2].hexValue {
                ([UInt8(high << 4 | low)], position + 3)
            } else { nil }
        default: nil
        }
    }

    private static let namedReferences: [(name: [UInt8], value: UInt8)] = [
        ("amp;", "&"), ("lt;", "<"), ("gt;", ">"), ("quot;", "\""), ("apos;", "'"),
    ].map { (Array($0.0.utf8), UInt8(ascii: $0.1)) }

    /// `&#112;`, `&#x70`, `&#X0070;`, `&AMP;`: what an HTML parser reads there.
    private static func characterReference(in text: [UInt8], at position: Int) -> ([UInt8], Int)? {
        var next = position + 1
        guard next < text.count else { return nil }
        guard text[next] == UInt8(ascii: "#") else {
            let rest = text[next...].prefix(5).map { $0.isASCIILetter ? $0 | 0x20 : $0 }
            return namedReferences.first { rest.starts(with: $0.name) }.map { ([$0.value], next + $0.name.count) }
        }
        next += 1
        let hex = next < text.count && (text[next] == UInt8(ascii: "x") || text[next] == UInt8(ascii: "X"))
        if hex { next += 1 }
        var value: UInt32 = 0
        let digitsStart = next
        while next < text.count, let digit = hex ? text[next].hexValue : text[next].decimalValue {
            // Past the last code point the value only has to stay invalid, not exact.
            value = min(value * (hex ? 16 : 10) + UInt32(digit), 0x110000)
            next += 1
        }
        guard next > digitsStart, let scalar = Unicode.Scalar(value) else { return nil }
        if next < text.count, text[next] == UInt8(ascii: ";") { next += 1 }
        return (Array(String(Character(scalar)).utf8), next)
    }

    private static let simpleJSONEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "\\"): UInt8(ascii: "\\"), UInt8(ascii: "/"): UInt8(ascii: "/"),
        UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    /// `\u0073`, `\u00E4`, `\ud83d\ude00`, `\"`: what a JSON parser reads there (`\U` too, for a
    /// text a server turned to upper case).
    private static func jsonEscape(in text: [UInt8], at position: Int) -> ([UInt8], Int)? {
        guard position + 1 < text.count else { return nil }
        if let simple = simpleJSONEscapes[text[position + 1]] { return ([simple], position + 2) }
        guard let (unit, end) = utf16Unit(in: text, at: position) else { return nil }
        if let scalar = Unicode.Scalar(unit) { return (Array(String(Character(scalar)).utf8), end) }
        // A high surrogate makes a character only with the low one that follows it.
        guard (0xD800..<0xDC00).contains(unit), let (low, pairEnd) = utf16Unit(in: text, at: end), (0xDC00..<0xE000).contains(low),
              let scalar = Unicode.Scalar((UInt32(unit) - 0xD800) << 10 + (UInt32(low) - 0xDC00) + 0x10000) else { return nil }
        return (Array(String(Character(scalar)).utf8), pairEnd)
    }

    private static func utf16Unit(in text: [UInt8], at position: Int) -> (UInt16, Int)? {
        guard position + 6 <= text.count, text[position] == backslash,
              text[position + 1] == UInt8(ascii: "u") || text[position + 1] == UInt8(ascii: "U") else { return nil }
        var unit: UInt16 = 0
        for byte in text[(position + 2)..<(position + 6)] {
            guard let digit = byte.hexValue else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        return (unit, position + 6)
    }
}

private extension UInt8 {
    var hexValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    var decimalValue: UInt8? { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) ? self - UInt8(ascii: "0") : nil }
    var isHexDigit: Bool { hexValue != nil }
    var isASCIILetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self | 0x20) }
}
