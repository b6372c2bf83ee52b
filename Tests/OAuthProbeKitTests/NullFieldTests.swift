import Foundation
import Testing
@testable import OAuthProbeKit

/// Servers write `"refresh_token": null` for a token they do not issue (Spring Authorization
/// Server, Hydra's SDK-made answers): JSON null is an absent value wherever a field is read.
@Suite("JSON null is an absent value")
struct NullFieldTests {
    static let target = Target(name: "t", issuer: "https://idp.example.com", allowInsecureHTTP: true, file: "t.yaml")

    static func judge(_ field: String, _ matcher: Matcher, in body: String) -> Evaluation.Judgement {
        let outcome = ProbeExecution.outcome(of: HTTPResponse(status: 200, headers: [], body: Data(body.utf8), duration: .zero))
        let expectation = Expectation(subject: .field(field), matcher: matcher, location: SourceLocation(file: "s", line: 1, column: 1))
        return Evaluation.judge(expectation, in: outcome, target: target)
    }

    /// A token answer, an introspection answer, a revocation answer and a metadata document.
    static let answers: [(body: String, field: String)] = [
        (#"{"access_token": "a", "token_type": "Bearer", "refresh_token": null}"#, "refresh_token"),
        (#"{"access_token": "a", "token_type": "Bearer", "scope": null}"#, "scope"),
        (#"{"access_token": "a", "token_type": "Bearer", "id_token": null}"#, "id_token"),
        (#"{"active": true, "scope": null}"#, "scope"),
        (#"{"error": null}"#, "error"),
        (#"{"issuer": "https://idp.example.com", "revocation_endpoint": null}"#, "revocation_endpoint"),
    ]

    @Test("a null field is absent, not present", arguments: answers)
    func absent(_ answer: (body: String, field: String)) {
        #expect(Self.judge(answer.field, .absent, in: answer.body) == .holds)
        #expect(Self.judge(answer.field, .present, in: answer.body) != .holds)
    }

    @Test("null lists and strings are no members")
    func subscripts() throws {
        let document = try #require(JSONValue.parse(Data(#"{"scopes_supported": null, "issuer": "x"}"#.utf8)))
        #expect(document["scopes_supported"] == nil)
        #expect(document.members == ["issuer": .string("x")])
    }
}
