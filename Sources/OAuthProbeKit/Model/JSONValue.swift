import Foundation

/// A parsed JSON value that can cross concurrency domains (metadata documents, token responses).
public enum JSONValue: Sendable, Hashable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    public static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// A member of an object; a member whose value is `null` is no value, as servers mean it
    /// (`"refresh_token": null` issues no refresh token).
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self, let value = object[key], value != .null { value } else { nil }
    }

    /// The members of an object that have a value: `null` ones left out, as the subscript does.
    public var members: [String: JSONValue]? {
        if case .object(let object) = self { object.filter { $0.value != .null } } else { nil }
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }

    public var arrayOfStrings: [String]? {
        if case .array(let items) = self { items.compactMap(\.stringValue) } else { nil }
    }

    /// The same value with every string passed through `transform` (keys stay as they are).
    public func mapStrings(_ transform: (String) -> String) -> JSONValue {
        switch self {
        case .string(let s): .string(transform(s))
        case .array(let items): .array(items.map { $0.mapStrings(transform) })
        case .object(let object): .object(object.mapValues { $0.mapStrings(transform) })
        case .number, .bool, .null: self
        }
    }

    /// The value as a single line of text: strings bare, numbers without a needless `.0`.
    public var text: String {
        switch self {
        case .string(let s): s
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .bool(let b): String(b)
        case .null: "null"
        case .array(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let object): "{" + object.keys.sorted().map { "\($0): \(object[$0]!.text)" }.joined(separator: ", ") + "}"
        }
    }
}

extension JSONValue {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        // JSONDecoder is strict about types, so trying Bool before Double keeps `true` and `1` apart.
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}

extension JSONValue {
    /// Written back as the same JSON it was read from, so the results file keeps the metadata as fetched.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n): try container.encode(n)
        case .bool(let b): try container.encode(b)
        case .array(let items): try container.encode(items)
        case .object(let object): try container.encode(object)
        case .null: try container.encodeNil()
        }
    }
}
