/// Finds the known forms of secrets in a text in one pass over its UTF-8 bytes: a table keyed by
/// each form's first four bytes says which forms to compare at a position, so the cost grows
/// with the text, not with the number of secrets times the text.
struct SecretMatcher {
    /// Forms by their first four bytes, longest first.
    private var forms: [UInt32: [[UInt8]]] = [:]
    /// The first one, two and three bytes of every form: what a text cut just after a form's
    /// start ends with.
    private var shortStarts: Set<[UInt8]> = []
    private(set) var longest = 0

    /// Forms are at least four bytes long (secrets shorter than `Redactor.minimumLength` are not kept).
    mutating func insert(_ form: String) {
        let bytes = Array(form.utf8)
        guard bytes.count >= 4 else { return }
        forms[Self.key(bytes, at: 0), default: []].append(bytes)
        forms[Self.key(bytes, at: 0)]!.sort { $0.count > $1.count }
        for length in 1...3 { shortStarts.insert(Array(bytes[..<length])) }
        longest = max(longest, bytes.count)
    }

    /// The byte ranges forms cover, in order, overlapping ones merged so no part of either survives.
    func covered(in bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var position = 0
        while position + 4 <= bytes.count {
            if let length = longestMatch(in: bytes, at: position) {
                let end = position + length
                if let last = ranges.last, position < last.upperBound {
                    ranges[ranges.count - 1] = last.lowerBound..<max(end, last.upperBound)
                } else {
                    ranges.append(position..<end)
                }
            }
            position += 1
        }
        return ranges
    }

    func contains(in bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        return (0...(bytes.count - 4)).contains { longestMatch(in: bytes, at: $0) != nil }
    }

    /// The earliest offset from which the bytes' end is the start of a form (a text cut in two
    /// inside a secret), or nil.
    func danglingStart(in bytes: [UInt8]) -> Int? {
        for start in max(0, bytes.count - longest + 1)..<bytes.count {
            let rest = bytes[start...]
            if rest.count < 4 {
                if shortStarts.contains(Array(rest)) { return start }
            } else if let candidates = forms[Self.key(bytes, at: start)],
                      candidates.contains(where: { $0.count > rest.count && $0.starts(with: rest) }) {
                return start
            }
        }
        return nil
    }

    private func longestMatch(in bytes: [UInt8], at position: Int) -> Int? {
        guard let candidates = forms[Self.key(bytes, at: position)] else { return nil }
        let rest = bytes[position...]
        return candidates.first { $0.count <= rest.count && rest.starts(with: $0) }?.count
    }

    private static func key(_ bytes: [UInt8], at position: Int) -> UInt32 {
        UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16 | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
    }
}
