import Foundation
import Testing
@testable import OAuthProbeKit

@Suite("Target files")
struct TargetLoaderTests {
    let environment = ["WEB_SECRET": "s3cret-from-env", "PROBE_PASSWORD": "pa55word-env"]

    @Test("a valid target loads, with secrets from the environment and files")
    func loadsValidTarget() throws {
        let path = try TestSupport.write("""
            name: staging
            issuer: https://idp.example.com/id
            endpoints: { revocation: https://idp.example.com/id/connect/revocation }
            clients:
              public: { client_id: app/spa, redirect_uri: https://spa.example.com/cb, scope: "openid read" }
              confidential: { client_id: app/web, secret: "${env:WEB_SECRET}", redirect_uri: https://web.example.com/cb }
              service: { client_id: app/svc, secret: "${file:svc.secret}", scope: read, auth_method: client_secret_post }
            user: { username: probe, password: "${env:PROBE_PASSWORD}" }
            login: { strategy: form }
            resource: { url: https://api.example.com/me }
            policy: { max_access_token_lifetime: 3600 }
            unallowed_scope: write
            """, named: "staging.yaml", beside: ["svc.secret": "from-a-file\n"])
        let (target, diagnostics) = TargetLoader(environment: environment).load(file: path)
        #expect(diagnostics.isEmpty)
        let loaded = try #require(target)
        #expect(loaded.clients[.confidential]?.secret?.value == "s3cret-from-env")
        #expect(loaded.clients[.confidential]?.secret?.origin == "${env:WEB_SECRET}")
        #expect(loaded.clients[.confidential]?.authMethod == .clientSecretBasic)
        #expect(loaded.clients[.service]?.secret?.value == "from-a-file", "the file's final newline is not part of the secret")
        #expect(loaded.clients[.service]?.authMethod == .clientSecretPost)
        #expect(loaded.clients[.public]?.authMethod == ClientAuthMethod.none)
        #expect(loaded.endpoints["revocation"] == "https://idp.example.com/id/connect/revocation")
        #expect(loaded.policy.maxAccessTokenLifetime == 3600)
        #expect(!"\(loaded.clients[.confidential]!.secret!)".contains("s3cret"), "a secret never prints its value")
    }

    /// Issue 19: the user's TOTP and the names of the sign-in fields.
    @Test("user.totp loads as a secret with its parameters, and each wrong one is reported at its place")
    func totp() throws {
        let good = try TestSupport.write("""
            name: mfa
            issuer: https://idp.example.com
            clients: { public: { client_id: spa, redirect_uri: https://spa.example/cb } }
            user: { username: u, password: "${env:PROBE_PASSWORD}", totp: { secret: "${env:TOTP}", algorithm: sha256, digits: 8, period: 60 } }
            login: { strategy: form, fields: { username: loginfmt, one_time_code: otc } }
            """, named: "mfa.yaml")
        let (target, diagnostics) = TargetLoader(environment: environment.merging(["TOTP": "jbsw y3dp ehpk 3pxp"]) { $1 }).load(file: good)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let totp = try #require(target?.user?.totp)
        #expect(totp.algorithm == .sha256 && totp.digits == 8 && totp.period == 60 && totp.secret.origin == "${env:TOTP}")
        #expect(target?.login.fields == SignInFieldNames(username: "loginfmt", oneTimeCode: "otc"))
        #expect(target?.secrets.contains(totp.secret) == true, "the TOTP secret is redacted like the password")

        let bad = try TestSupport.write("""
            name: mfa
            issuer: https://idp.example.com
            clients: { public: { client_id: spa, redirect_uri: https://spa.example/cb } }
            user: { username: u, password: "${env:PROBE_PASSWORD}", totp: { secret: "${env:TOTP}", digits: 9, algorithm: md5 } }
            login: { strategy: steps, sign_in: [{ url: "{{issuer}}/login" }], fields: { pin: x } }
            """, named: "bad.yaml")
        let problems = TargetLoader(environment: environment.merging(["TOTP": "not base32!"]) { $1 }).load(file: bad).diagnostics.map(\.description)
        for expected in ["bad.yaml:4:", "user.totp is not a base32 secret", "user.totp.digits must be 6, 7 or 8", "'md5' is not one of",
                         "login.fields: unknown key 'pin'", "login.fields is for strategy form"] {
            #expect(problems.contains { $0.contains(expected) }, "\(expected) not in \(problems)")
        }
    }

    @Test("every problem is reported at once, each at its line and column")
    func reportsEveryProblem() throws {
        let path = try TestSupport.write("""
            name: broken
            issuer: http://idp.example.com
            colour: blue
            clients:
              confidential: { client_id: app/web, redirect_uri: https://web.example.com/cb }
              admin: { client_id: x }
              public: { client_id: app/spa, redirect_uri: "not a uri", auth_mehtod: none }
            user: { username: probe, password: "${env:MISSING_PASSWORD}" }
            tls: { ca_file: ./nowhere.pem }
            """)
        let (target, diagnostics) = TargetLoader(environment: environment).load(file: path)
        #expect(target == nil)
        #expect(TestSupport.positions(diagnostics) == [
            "2:9: error: issuer uses http://; set allow_insecure_http: true for a local server, or use https",
            "3:1: error: target: unknown key 'colour'",
            "5:17: error: clients.confidential: a confidential client needs its secret",
            "6:3: error: clients: unknown role 'admin' (roles: public, public_b, confidential, confidential_b, service, disabled)",
            "7:47: error: clients.public.redirect_uri 'not a uri' is not an absolute URI",
            "7:60: error: clients.public: unknown key 'auth_mehtod'; did you mean 'auth_method'?",
            "8:36: error: user.password: environment variable MISSING_PASSWORD is not set",
            "9:17: error: tls.ca_file: cannot read \((path as NSString).deletingLastPathComponent)/nowhere.pem",
        ])
        #expect(diagnostics.allSatisfy { $0.location.file == path })
    }

    @Test("a secret written inline is a warning, not an error")
    func inlineSecretWarns() throws {
        let path = try TestSupport.write("""
            name: local
            issuer: http://127.0.0.1:8000/o
            allow_insecure_http: true
            clients:
              service: { client_id: svc, secret: hunter2-inline }
            """)
        let (target, diagnostics) = TargetLoader(environment: [:]).load(file: path)
        #expect(target != nil)
        #expect(TestSupport.positions(diagnostics) == [
            "5:38: warning: clients.service.secret is written inline; take it from ${env:NAME} or ${file:PATH}",
        ])
    }

    @Test("YAML syntax errors carry their position")
    func syntaxError() throws {
        let path = try TestSupport.write("name: x\nissuer: [unclosed\n")
        let (_, diagnostics) = TargetLoader(environment: [:]).load(file: path)
        #expect(diagnostics.count == 1)
        #expect(diagnostics[0].location.line == 3)
        #expect(diagnostics[0].message.hasPrefix("YAML syntax:"))
    }

    /// A target with one thing wrong that `run` would trip on, and what `validate` says.
    struct Flaw: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var beside: [String: String] = [:]
        var message: String
        var testDescription: String { name }
    }

    static let base = """
        name: NAME
        issuer: https://idp.example.com/id
        clients:
          service: { client_id: svc, secret: "${env:WEB_SECRET}", scope: read }

        """

    static let flaws = [
        Flaw(name: "a relative sign-in URL",
             text: base + "login: { strategy: steps, sign_in: [ { method: POST, url: /api/auth } ] }",
             message: "login.sign_in[1].url '/api/auth' is not an absolute http(s) URL"),
        Flaw(name: "a sign-in URL whose host is a value",
             text: base + #"login: { strategy: steps, sign_in: [ { url: "https://{{client_id}}/login" } ] }"#,
             message: "is not an absolute http(s) URL"),
        Flaw(name: "a consent URL of another scheme",
             text: base + #"login: { strategy: steps, sign_in: [ { url: "{{issuer}}/login" } ], consent: [ { url: "ftp://idp.example.com/x" } ] }"#,
             message: "login.consent[1].url 'ftp://idp.example.com/x' is not an absolute http(s) URL"),
        Flaw(name: "an issuer with a space", text: base.replacingOccurrences(of: "idp.example.com/id", with: "idp.example.com/my id"),
             message: "issuer 'https://idp.example.com/my id' contains a space (%20 percent-encoded): a URL holds no spaces or control characters"),
        Flaw(name: "a token endpoint with a tab", text: base + "endpoints: { token: \"https://idp.example.com/to\\tken\" }",
             message: "endpoints.token 'https://idp.example.com/to\tken' contains U+0009"),
        Flaw(name: "port 0", text: base.replacingOccurrences(of: "idp.example.com/id", with: "idp.example.com:0/id"),
             message: "issuer 'https://idp.example.com:0/id': port 0 is not between 1 and 65535"),
        Flaw(name: "port 70000", text: base + "endpoints: { token: \"https://idp.example.com:70000/token\" }",
             message: "port 70000 is not between 1 and 65535"),
        Flaw(name: "a port that is not a number", text: base + "resource: { url: \"https://api.example.com:http/me\" }",
             message: "port http is not between 1 and 65535"),
        Flaw(name: "a sign-in URL's port", text: base + "login: { strategy: steps, sign_in: [ { url: \"https://idp.example.com:99999/login\" } ] }",
             message: "port 99999 is not between 1 and 65535"),
        Flaw(name: "a CA file that is not PEM", text: base + "tls: { ca_file: ./ca.pem }", beside: ["ca.pem": "not a certificate\n"],
             message: "is not a PEM file of certificates"),
        Flaw(name: "a 30 MB name", text: base.replacingOccurrences(of: "NAME", with: String(repeating: "n", count: 30_000_000)),
             message: "name is 30000000 characters long; at most 100"),
        Flaw(name: "a name on two lines", text: base.replacingOccurrences(of: "NAME", with: "\"two\\nlines\""),
             message: "name must be one line of printable characters"),
    ]

    @Test("validate rejects what run would trip on", arguments: flaws)
    func rejectsFlaw(flaw: Flaw) throws {
        let path = try TestSupport.write(flaw.text.replacingOccurrences(of: "NAME", with: "staging"), beside: flaw.beside)
        let (target, diagnostics) = TargetLoader(environment: environment).load(file: path)
        #expect(target == nil)
        let errors = diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.count == 1 && errors[0].contains(flaw.message), "\(errors.map { $0.prefix(300) })")
        #expect(diagnostics.allSatisfy { $0.message.count < 1_000 }, "a diagnostic never repeats a huge value")
    }
}

