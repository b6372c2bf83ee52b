import Foundation

/// Recognises the login and consent forms of an identity server's pages and fills them as a
/// person would: the login form is the one with a password field; the consent form is one whose
/// submit button approves (allow, authorize, accept…). Hidden fields such as CSRF tokens are kept.
enum FormSignIn {
    static let approveWords = ["allow", "approve", "authorize", "authorise", "accept", "consent", "grant", "yes", "continue", "confirm"]
    static let refuseWords = ["deny", "cancel", "reject", "decline", "no"]

    static func loginForm(in forms: [HTMLForm]) -> HTMLForm? {
        forms.first { $0.fields.contains { $0.type.lowercased() == "password" } }
    }

    /// The form and the button that approves the request, if the page asks for consent.
    static func consent(in forms: [HTMLForm]) -> (form: HTMLForm, button: HTMLFormField?)? {
        for form in forms {
            let buttons = form.buttons + form.fields.filter { $0.type.lowercased() == "submit" }
            if let approve = buttons.first(where: { matches($0, approveWords) && !matches($0, refuseWords) }) {
                return (form, approve)
            }
        }
        return nil
    }

    private static func matches(_ button: HTMLFormField, _ words: [String]) -> Bool {
        let label = "\(button.name) \(button.value) \(button.label)".lowercased()
        let tokens = label.split { !$0.isLetter }.map(String.init)
        return words.contains { tokens.contains($0) }
    }

    /// The login form's fields with the user's name and password filled in.
    static func loginFields(_ form: HTMLForm, username: String, password: String) throws -> [(String, String)] {
        let passwordField = form.fields.first { $0.type.lowercased() == "password" }
        let candidates = form.fields.filter { ["text", "email", "", "tel"].contains($0.type.lowercased()) && !$0.name.isEmpty }
        let preferred = ["username", "user", "login", "email", "user_name", "userid", "name"]
        guard let passwordField = passwordField,
              let userField = candidates.first(where: { preferred.contains($0.name.lowercased()) }) ?? candidates.first
        else { throw ProbeError("sign-in: the login form has no user name field") }
        let filled = [userField.name: username, passwordField.name: password]
        return form.submission().map { ($0.name, filled[$0.name] ?? $0.value) }
    }
}
