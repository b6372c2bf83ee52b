import Foundation

/// A form of a sign-in page and what it asks for. Real sign-ins spread over pages: a user name
/// alone (identifier-first: Auth0, Keycloak's username form, Entra, Okta), then the password, then
/// a one-time code. Each field is recognised as a browser's password manager would: by the target
/// file's `login.fields`, else by `autocomplete` (`username`, `email`, `current-password`,
/// `one-time-code`), type and name.
struct SignInForm {
    var form: HTMLForm
    var username: HTMLFormField?
    var password: HTMLFormField?
    var oneTimeCode: HTMLFormField?

    static let usernameNames = ["username", "user", "login", "email", "user_name", "userid", "name", "identifier", "loginfmt"]
    static let oneTimeCodeNames = ["otp", "otp_token", "otptoken", "totp", "one_time_code", "onetimecode", "mfa_code", "code",
                                   "passcode", "verification_code", "twofactorcode", "two_factor_code", "token", "authenticator_code"]

    init?(_ form: HTMLForm, names: SignInFieldNames) {
        let visible = form.fields.filter(\.isVisibleInput)
        func named(_ name: String?) -> HTMLFormField? { name.flatMap { name in visible.first { $0.name == name } } }
        func autocompletes(_ token: String) -> HTMLFormField? {
            visible.first { ($0.autocomplete ?? "").lowercased().split(separator: " ").contains(Substring(token)) }
        }
        let textLike = visible.filter { ["text", "email", "tel", "number", ""].contains($0.type.lowercased()) }
        let password = named(names.password) ?? visible.first { $0.type.lowercased() == "password" }
        let codeNamed = { (field: HTMLFormField) in
            Self.oneTimeCodeNames.contains(Self.folded(field.name)) || Self.oneTimeCodeNames.contains(Self.folded(field.id ?? ""))
        }
        let oneTimeCode = named(names.oneTimeCode) ?? autocompletes("one-time-code") ?? (password == nil ? textLike.first(where: codeNamed) : nil)
        let candidates = textLike.filter { $0.name != oneTimeCode?.name }
        let strong = named(names.username) ?? autocompletes("username") ?? autocompletes("email")
            ?? candidates.first { Self.usernameNames.contains($0.name.lowercased()) } ?? candidates.first { $0.type.lowercased() == "email" }
        // Beside a password, the text field is the user name whatever its name; alone, only a
        // field that says so is (a search form is no sign-in).
        let username = strong ?? (password != nil ? candidates.first : nil)
        guard password != nil || oneTimeCode != nil || username != nil else { return nil }
        self.form = form
        self.username = username
        self.password = password
        self.oneTimeCode = oneTimeCode
    }

    /// What the page asks, in words: "user name and password", "one-time code".
    var asks: String {
        [username.map { _ in "user name" }, password.map { _ in "password" }, oneTimeCode.map { _ in "one-time code" }]
            .compactMap { $0 }.joined(separator: " and ")
    }

    /// The form's submission with the user's values in the fields it asks.
    func filled(username name: String, password secret: String, code: String?) -> [(String, String)] {
        var values: [String: String] = [:]
        if let username { values[username.name] = name }
        if let password { values[password.name] = secret }
        if let oneTimeCode, let code { values[oneTimeCode.name] = code }
        return form.submission().map { ($0.name, values[$0.name] ?? $0.value) }
    }

    private static func folded(_ name: String) -> String { name.lowercased().replacingOccurrences(of: "-", with: "_") }
}
