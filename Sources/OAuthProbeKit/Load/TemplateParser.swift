import Foundation

/// Parses `{{ path | filter }}` holes in suite strings.
enum TemplateParser {
    /// Filters a reference may apply, in order. Kept small: each is a transformation a
    /// reviewer can read at a glance.
    static let filters: Set<String> = ["upper", "lower", "percent_encode", "json", "http_scheme", "default_port", "tamper", "alg_none", "form", "base64", "with_skew"]

    static func parse(_ text: String, at location: SourceLocation) -> Result<Template, TemplateError> {
        var pieces: [Template.Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return .failure(TemplateError("'{{' without a closing '}}'"))
            }
            let inner = rest[open.upperBound..<close.lowerBound]
            let parts = inner.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let path = parts[0].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !parts[0].isEmpty, path.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isNameCharacter) }) else {
                return .failure(TemplateError("'{{\(inner)}}' is not a reference such as {{clients.public.redirect_uri}}"))
            }
            let filters = Array(parts.dropFirst())
            if let unknown = filters.first(where: { !Self.filters.contains($0) }) {
                let known = Self.filters.sorted().joined(separator: ", ")
                return .failure(TemplateError("unknown filter '\(unknown)' (known: \(known))"))
            }
            pieces.append(.reference(.init(path: path, filters: filters)))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return .success(Template(pieces: pieces, location: location))
    }

    private static func isNameCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == "-"
    }
}

struct TemplateError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
