import Foundation

/// The target file `oauthprobe init` writes: the issuer and the endpoints its metadata
/// advertises, every client role with `<…>` placeholders (which `validate` refuses until they
/// are filled in) and `${env:…}` secrets, and a comment on each thing only its owner knows.
public struct TargetScaffold {
    public var issuer: String
    public var metadata: Metadata
    public var allowInsecureHTTP: Bool
    /// As it should be written in the file: relative to the file's folder, or absolute.
    public var caFile: String?

    public init(issuer: String, metadata: Metadata, allowInsecureHTTP: Bool, caFile: String?) {
        self.issuer = issuer
        self.metadata = metadata
        self.allowInsecureHTTP = allowInsecureHTTP
        self.caFile = caFile
    }

    /// `https://idp.example.com:8443/id` → `idp-example-com-8443-id`.
    var name: String {
        let rest = issuer.split(separator: "://", maxSplits: 1).last.map(String.init) ?? issuer
        let words = rest.split { !$0.isLetter && !$0.isNumber }.map { $0.lowercased() }
        return words.isEmpty ? "my-server" : words.joined(separator: "-")
    }

    public func render() -> String {
        var lines = [
            "# oauthprobe target for \(issuer), written by `oauthprobe init` from",
            "# \(metadata.url).",
            "# Fill in every <…> placeholder, export the ${env:…} variables, then check the file with",
            "#   oauthprobe validate THIS_FILE",
            "# Use a dedicated probe user and dedicated clients: probes sign in, get tokens and try attacks.",
            "name: \(name)                          # the label in every report; one per environment",
            "issuer: \(quoted(issuer))",
        ]
        let advertised = metadata["issuer"]?.stringValue
        if let advertised, advertised != issuer {
            lines.append("# Note: the metadata names its issuer \(advertised); OpenID Connect and RFC 8414 require the two to be equal.")
        }
        if allowInsecureHTTP { lines.append("allow_insecure_http: true              # plain http: only for a server on this machine") }
        if let caFile { lines.append("tls: { ca_file: \(quoted(caFile)) }     # the private CA that signed the server's certificate") }

        lines += ["", "# From the metadata document; delete an entry to take it from metadata at each run instead.", "endpoints:"]
        for kind in EndpointKind.allCases where kind != .resource {
            if let url = metadata[kind.metadataKey]?.stringValue, url.lowercased().hasPrefix("http://") && !allowInsecureHTTP {
                // The loader would refuse it; the https probes report it as a finding instead.
                lines.append("  # \(kind.rawValue): \(quoted(url))   # advertised over plain http: a finding, left to metadata")
            } else if let url = metadata[kind.metadataKey]?.stringValue {
                lines.append("  \(kind.rawValue): \(quoted(url))")
            } else {
                lines.append("  # \(kind.rawValue): \"<\(kind.rawValue) endpoint URL>\"   # not in the metadata; probes that need it are skipped")
            }
        }

        let scopes = Set(metadata["scopes_supported"]?.arrayOfStrings ?? [])
        let openid = scopes.isEmpty || scopes.contains("openid") ? "openid " : ""
        // Where the server gates refresh tokens on offline_access (OIDC Core §11), the clients
        // that sign a user in must be allowed it: the probes about refresh tokens ask for it.
        let refresh = scopes.contains(OfflineAccess.scope) ? " \(OfflineAccess.scope)" : ""
        let authMethod = authenticationMethod()
        lines += [
            "",
            "# Each role is a client registered on the server for the probes; a probe whose roles are missing",
            "# is skipped. Register each redirect URI exactly as written here; nothing is ever sent to it.",
            "clients:",
            "  # A public client (no secret), registered for the authorization code flow with PKCE.",
            "  public:",
            "    client_id: \"<public client id>\"",
            "    redirect_uri: \"<its registered redirect URI, https://…>\"",
            "    scope: \"\(openid)<a scope it may have>\(refresh)\"",
            "  # A second public client, for codes and tokens replayed across clients.",
            "  public_b:",
            "    client_id: \"<second public client id>\"",
            "    redirect_uri: \"<its registered redirect URI>\"",
            "    scope: \"\(openid)<a scope it may have>\(refresh)\"",
            "  # A confidential client (with a secret) allowed the authorization code and refresh token grants.",
            "  confidential:",
            "    client_id: \"<confidential client id>\"",
            "    secret: \"${env:CONFIDENTIAL_SECRET}\"",
            "    redirect_uri: \"<its registered redirect URI>\"",
            "    scope: \"\(openid)<a scope it may have>\(refresh)\"",
            "    auth_method: \(authMethod)",
            "  # A second confidential client, for cross-client replays.",
            "  confidential_b:",
            "    client_id: \"<second confidential client id>\"",
            "    secret: \"${env:CONFIDENTIAL_B_SECRET}\"",
            "    redirect_uri: \"<its registered redirect URI>\"",
            "    scope: \"\(openid)<a scope it may have>\(refresh)\"",
            "    auth_method: \(authMethod)",
            "  # A machine client allowed only the client_credentials grant.",
            "  service:",
            "    client_id: \"<service client id>\"",
            "    secret: \"${env:SERVICE_SECRET}\"",
            "    scope: \"<a scope it may have>\"",
            "    auth_method: \(authMethod)",
            "  # A client registered and then disabled on the server: it must get nothing.",
            "  disabled:",
            "    client_id: \"<disabled client id>\"",
            "    secret: \"${env:DISABLED_SECRET}\"",
            "    redirect_uri: \"<its registered redirect URI>\"",
            "    auth_method: \(authMethod)",
            "",
            "# The user the harness signs in: a dedicated account without multi-factor sign-in.",
            "user: { username: \"${env:PROBE_USER}\", password: \"${env:PROBE_PASSWORD}\" }",
            "# form: the server's HTML login and consent forms. For a script-driven login page use",
            "# `strategy: steps` (declared HTTP calls); for multi-factor sign-in `strategy: cookie` (see the README).",
            "login: { strategy: form }",
            "",
            "# Optional: uncomment what applies; probes that need a value you leave out are skipped.",
            "# resource: { url: \"<a protected API URL that accepts these access tokens>\" }",
            "# policy: { max_access_token_lifetime: 3600 }   # seconds",
            "# unallowed_scope: \"<a scope that exists but public and confidential may not get>\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// What the server's metadata supports, Basic first (RFC 6749 §2.3.1 requires servers to).
    private func authenticationMethod() -> String {
        let supported = metadata["token_endpoint_auth_methods_supported"]?.arrayOfStrings ?? []
        if supported.isEmpty || supported.contains("client_secret_basic") { return "client_secret_basic" }
        return supported.contains("client_secret_post") ? "client_secret_post" : "client_secret_basic"
    }

    /// A YAML double-quoted scalar.
    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
