/// The scopes OpenID Connect defines for the user's identity (OIDC Core §5.4, §11): they speak
/// of a user, so a grant without one, or a response type that is no OpenID Connect flow, has no
/// use for them. Duende IdentityServer refuses them there (`invalid_scope`), so a step that asks
/// for them would be refused for the scope, not for what the probe asks about.
public enum IdentityScopes {
    public static let names: Set<String> = ["openid", "profile", "email", "address", "phone", "offline_access"]

    /// The API scopes of a scope value: its words but the identity scopes, in order.
    public static func apiScopes(of scope: String) -> [String] {
        Evaluation.words(scope).filter { !names.contains($0) }
    }
}
