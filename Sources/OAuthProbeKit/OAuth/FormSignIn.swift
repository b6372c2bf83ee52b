import Foundation

/// Recognises the login and consent forms of an identity server's pages and fills them as a
/// person would: the login form is the one with a password field; the consent form is one whose
/// submit button approves (allow, authorize, accept…). Hidden fields such as CSRF tokens are kept.
enum FormSignIn {
    static let approveWords = ["allow", "approve", "authorize", "authorise", "accept", "consent", "grant", "yes", "continue", "confirm"]
    static let refuseWords = ["deny", "cancel", "reject", "decline", "no"]

    /// The first form of the page that asks for any part of a sign-in: a password, a one-time
    /// code, or (identifier-first pages) a user name alone.
    static func signInForm(in forms: [HTMLForm], names: SignInFieldNames = SignInFieldNames()) -> SignInForm? {
        forms.lazy.compactMap { SignInForm($0, names: names) }.first
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
}
