import Foundation

extension ProbeExecution {
    /// Sends a request with a DPoP proof (RFC 9449) in its `DPoP` header: a fresh proof of the
    /// probe's key for this method and URL (or the `htu`/`htm` the step bends), or with `replay`
    /// the exact proof an earlier step sent. A server that refuses for want of a nonce it names
    /// (`use_dpop_nonce`, §8 and §9) gets the request once more with a new proof carrying it; a
    /// replayed proof is sent as it was, once. The outcome keeps the proof for later replays.
    static func sendWithProof(_ request: HTTPRequest, options: DPoPProofOptions, accessToken: String?, context: TemplateContext,
                              session: ProbeSession, as actor: Actor, step: String) async throws -> StepOutcome {
        if let earlier = options.replay {
            guard let proof = context.outcomes[earlier]?.dpopProof else {
                throw ProbeError("step '\(earlier)' sent no DPoP proof to replay")
            }
            var outcome = outcome(of: try await session.send(attaching(proof, to: request), as: actor, step: step))
            outcome.dpopProof = proof
            return outcome
        }
        let method = try options.htm.map(context.render) ?? request.method
        let htu = try options.htu.map(context.render) ?? DPoPProof.htu(of: request.url)
        var resent = false
        while true {
            let proof = try session.dpop.proof(method: method, htu: htu, accessToken: accessToken, sentTo: request.url)
            let response = try await session.send(attaching(proof, to: request), as: actor, step: step)
            if session.dpop.learnNonce(from: response, sentTo: request.url), !resent {
                resent = true
                continue
            }
            var outcome = outcome(of: response)
            outcome.dpopProof = proof
            if resent { outcome.summary += " (after the server asked for a DPoP nonce)" }
            return outcome
        }
    }

    /// The request with the proof in its `DPoP` header, known to the session as a credential: it
    /// is redacted from evidence and never sent where credentials may not go.
    private static func attaching(_ proof: String, to request: HTTPRequest) -> HTTPRequest {
        var request = request
        request.headers.append(HTTPHeader(name: "DPoP", value: proof))
        request.credentials.append(proof)
        return request
    }
}
