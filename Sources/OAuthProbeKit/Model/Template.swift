/// A string from a suite file with `{{ name.path | filter }}` holes, filled at run time from the
/// target (clients, endpoints), the variant, `let` values and earlier steps' outcomes.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    public enum Piece: Sendable, Hashable {
        case text(String)
        case reference(Reference)
    }

    /// `clients.public.redirect_uri.host | upper`: a dotted path and filters applied in order.
    public struct Reference: Sendable, Hashable, CustomStringConvertible {
        public var path: [String]
        public var filters: [String]

        public var description: String { ([path.joined(separator: ".")] + filters).joined(separator: " | ") }
    }

    public var pieces: [Piece]
    public var location: SourceLocation

    public init(pieces: [Piece], location: SourceLocation) {
        self.pieces = pieces
        self.location = location
    }

    public var references: [Reference] {
        pieces.compactMap { if case .reference(let r) = $0 { r } else { nil } }
    }

    public var description: String {
        pieces.map {
            switch $0 {
            case .text(let text): text
            case .reference(let reference): "{{\(reference)}}"
            }
        }.joined()
    }
}
