/// How a client that wants a refresh token asks for one (OIDC Core §11): the `offline_access`
/// scope with `prompt=consent`. Servers that gate refresh tokens on it (Keycloak, Okta, Auth0,
/// Entra ID, Hydra, IdentityServer) otherwise issue none, and a probe about refresh tokens would
/// judge a server that never showed it one.
enum OfflineAccess {
    static let scope = "offline_access"

    /// The server says it knows the scope: the metadata's `scopes_supported` lists it.
    static func offered(by metadata: Metadata?) -> Bool {
        metadata?["scopes_supported"]?.arrayOfStrings?.contains(scope) == true
    }

    /// The scope with `offline_access` added, unless it is there already.
    static func adding(to requested: String?) -> String {
        let words = Evaluation.words(requested ?? "")
        return (words.contains(scope) ? words : words + [scope]).joined(separator: " ")
    }
}
