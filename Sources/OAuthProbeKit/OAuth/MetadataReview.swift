/// What discovery notes about a metadata document, for the run record, without judging the
/// server (probes do that): an issuer other than the configured one (RFC 8414 §3.3, OpenID
/// Connect Discovery §4.3), and endpoints on origins the target does not trust.
enum MetadataReview {
    static func problems(of metadata: Metadata, for target: Target) -> [String] {
        var problems: [String] = []
        switch metadata["issuer"] {
        case .string(let issuer)? where issuer == target.issuer:
            break
        case .string(let issuer)?:
            problems.append("metadata at \(metadata.url) names the issuer '\(issuer)', not the configured '\(target.issuer)' "
                + "(RFC 8414 §3.3: they must be identical; tokens it issues may name the other)")
        default:
            problems.append("metadata at \(metadata.url) names no issuer (RFC 8414 §2 requires one)")
        }
        guard case .object(let document) = metadata.document else { return problems }
        let trusted = target.trustedOrigins
        var elsewhere: [(origin: Origin, keys: [String])] = []
        for key in document.keys.sorted() where key.hasSuffix("_endpoint") || key == "jwks_uri" {
            guard let url = document[key]?.stringValue, let origin = Origin(url), !trusted.contains(origin) else { continue }
            if let index = elsewhere.firstIndex(where: { $0.origin == origin }) {
                elsewhere[index].keys.append(key)
            } else {
                elsewhere.append((origin, [key]))
            }
        }
        // Endpoints probes take from metadata: those the target file does not name itself.
        let used = Set(EndpointKind.allCases.filter { $0 != .resource && target.endpoints[$0.rawValue] == nil }.map(\.metadataKey))
        for (origin, keys) in elsewhere {
            let inUse = keys.filter(used.contains)
            let unused = keys.filter { !used.contains($0) }
            var notes: [String] = []
            if !inUse.isEmpty {
                notes.append("\(inUse.joined(separator: ", ")), which oauthprobe sends no credential and whose probes give error "
                    + "(if that server is yours, name them under endpoints: in the target file)")
            }
            if !unused.isEmpty {
                notes.append("\(unused.joined(separator: ", ")), not used (the target file names its own, or no probe needs them)")
            }
            problems.append("metadata names endpoints on another origin, \(origin): \(notes.joined(separator: "; "))")
        }
        return problems
    }
}
