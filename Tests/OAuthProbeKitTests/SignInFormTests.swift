import Foundation
import Testing
@testable import OAuthProbeKit

/// Issue 19: sign-in pages recognised by what they ask, as a password manager recognises them.
@Suite("Sign-in pages, one field at a time")
struct SignInFormTests {
    static func form(_ html: String, names: SignInFieldNames = SignInFieldNames()) -> SignInForm? {
        FormSignIn.signInForm(in: HTMLFormParser.parse(Data(html.utf8)).forms, names: names)
    }

    @Test("each page of an identifier-first sign-in is recognised by what it asks", arguments: [
        (#"<form method="post"><input name="username" autocomplete="username"><button>Next</button></form>"#, "user name"),
        (#"<form method="post"><input type="email" name="loginfmt"><input type="submit" value="Next"></form>"#, "user name"),
        (#"<form method="post"><input name="x1" autocomplete="email webauthn"></form>"#, "user name"),
        (#"<form method="post"><input type="password" name="pw" autocomplete="current-password"></form>"#, "password"),
        (#"<form method="post"><input name="login"><input type="password" name="secret"></form>"#, "user name and password"),
        (#"<form method="post"><input name="otp_token" autocomplete="one-time-code" inputmode="numeric"></form>"#, "one-time code"),
        (#"<form method="post"><input name="totp" inputmode="numeric"></form>"#, "one-time code"),
        (#"<form method="post"><input type="text" id="code" name="c"></form>"#, "one-time code"),
    ])
    func recognised(html: String, asks: String) throws {
        let form = try #require(Self.form(html), "not recognised")
        #expect(form.asks == asks)
    }

    @Test("a search form or a form of hidden fields is no sign-in")
    func notSignIn() {
        #expect(Self.form(#"<form action="/search"><input name="q"><button>Search</button></form>"#) == nil)
        #expect(Self.form(#"<form method="post"><input type="hidden" name="client_id" value="x"><input type="submit" name="allow" value="Allow"></form>"#) == nil)
    }

    @Test("the target file's field names win over the guess")
    func named() throws {
        let html = #"<form method="post"><input name="q"><input name="f_17"><input name="f_18" type="tel"></form>"#
        #expect(Self.form(html) == nil)
        let form = try #require(Self.form(html, names: SignInFieldNames(username: "f_17", oneTimeCode: "f_18")))
        #expect(form.asks == "user name and one-time code")
        let filled = Dictionary(uniqueKeysWithValues: form.filled(username: "alice", password: "pw", code: "123456"))
        #expect(filled == ["q": "", "f_17": "alice", "f_18": "123456"])
    }
}

/// Issue 19: a sign-in page the form strategy cannot follow is an error that names it, never a verdict.
@Suite("A sign-in page the form strategy does not understand")
struct UnknownSignInPageTests {
    @Test("a redesigned login page (a PIN and a captcha) makes every browser probe an error naming the page and its fields")
    func changedLoginPage() async throws {
        try await withFixtureServer { server in
            let path = try HostileTarget.write(server: server, scenario: "changed-login")
            let (_, record) = try await HostileTarget.run(path, only: ["authz.state-echoed", "pkce.required-public"])
            #expect(record.results.count == 2)
            for result in record.results {
                #expect(result.verdict == .error, "\(result.displayID): \(result.verdict) \(result.message)")
                #expect(result.message.contains("does not understand") && result.message.contains("pin, captcha_answer"), "\(result.message)")
            }
        }
    }
}
