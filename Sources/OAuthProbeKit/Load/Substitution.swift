import Foundation

/// `${env:NAME}` and `${file:PATH}` in target files, replaced at load so secrets live in the
/// environment or in files, never in the target file itself.
struct Substitution {
    /// The folder `${file:}` paths are relative to: the target file's own.
    var baseDirectory: URL
    var environment: [String: String]

    enum Failure: Error { case message(String) }

    /// The text with every reference replaced; `origin` is the first reference as written, and
    /// `inserted` each value put in, with its reference.
    func apply(_ text: String) -> Result<(value: String, origin: String?, inserted: [Secret]), Failure> {
        var output = ""
        var rest = Substring(text)
        var origin: String?
        var inserted: [Secret] = []
        while let open = rest.range(of: "${") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                return .failure(.message("'${' without a closing '}'"))
            }
            let reference = rest[open.upperBound..<close]
            origin = origin ?? "${\(reference)}"
            if reference.hasPrefix("env:") {
                let name = String(reference.dropFirst(4))
                guard let value = environment[name] else {
                    return .failure(.message("environment variable \(name) is not set"))
                }
                output += value
                inserted.append(Secret(value, origin: "${\(reference)}"))
            } else if reference.hasPrefix("file:") {
                let path = String(reference.dropFirst(5))
                let url = URL(fileURLWithPath: path, relativeTo: baseDirectory)
                guard let data = FileManager.default.contents(atPath: url.path),
                      let value = String(data: data, encoding: .utf8) else {
                    return .failure(.message("cannot read file \(url.path)"))
                }
                // Files written by editors end with a newline that is not part of the secret.
                let trimmed = value.hasSuffix("\r\n") ? String(value.dropLast(2))
                    : value.hasSuffix("\n") ? String(value.dropLast()) : value
                output += trimmed
                inserted.append(Secret(trimmed, origin: "${\(reference)}"))
            } else {
                return .failure(.message("'${\(reference)}' must be ${env:NAME} or ${file:PATH}"))
            }
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return .success((output, origin, inserted))
    }
}
