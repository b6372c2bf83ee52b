/// The headings of the seed page (ERP.net Identity, "Security and Best Practices"). Every probe
/// serves one; reports group by them in this order.
public enum Practice {
    public static let headings = [
        "Always Use HTTPS",
        "Protect Client Secrets",
        "Use the Correct Flow",
        "Apply Least Privilege",
        "Handle Tokens Securely",
        "Refresh and Reference Tokens",
        "Secure Redirect URIs",
        "Validate Trusted Applications Regularly",
        "Avoid Token Reuse",
    ]

    /// Position in the seed page, for ordering; unknown headings sort last.
    public static func order(of heading: String) -> Int {
        headings.firstIndex(of: heading) ?? headings.count
    }
}
