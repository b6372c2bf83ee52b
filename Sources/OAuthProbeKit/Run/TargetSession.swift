import Foundation

/// What every probe of one target shares for a run: one signed-in browser session, the consent
/// already given, the pace the server is given, and the count of what was sent. Signing in costs
/// the server a password hash and counts against brute-force limits: a run does it once.
final class TargetSession: @unchecked Sendable {
    let target: Target
    let endpoints: EndpointMap
    private let lock = NSLock()
    private let signInGate = AsyncGate()
    private let consentGate = AsyncGate()
    /// The browser's cookies after the latest sign-in (Netscape lines); nil until someone signed in.
    private var sessionCookies: [String]?
    private var signingOutTrial: Task<[String], Error>?
    private var anonymousStatuses: [String: Int] = [:]
    private var lastOneTimeStep: Int64?
    /// Counts the sessions published, so a flow that found its session gone can tell whether
    /// someone has signed in anew since it took the cookies.
    private var sessionGeneration = 0
    private var renewedSessions = 0
    private var latestSignIn: SignInRecord?
    /// The grant the latest declared consent made (client and scope), while the server keeps it.
    private var lastConsent: String?
    private var sharedSteps: [String: SharedStep] = [:]
    private var figures = TargetLoad()
    private let pacer: Pacer?
    /// The endpoints that keep failing, which the run has given up on.
    let breaker = EndpointBreaker()

    /// Knows the target's secrets: every probe's redactor starts from a copy.
    let redactor: Redactor
    /// The fingerprints of the target's secrets (as they are, and form-encoded), with where each
    /// comes from (`${env:WEB_SECRET}`): what reports show in their place.
    let placeholders: [(fingerprint: String, origin: String)]

    init(target: Target, endpoints: EndpointMap, maxRequestsPerSecond: Double?) {
        self.target = target
        self.endpoints = endpoints
        self.pacer = maxRequestsPerSecond.map { Pacer(perSecond: $0) }
        redactor = Redactor(secrets: target.secrets)
        placeholders = target.secrets.flatMap { secret -> [(fingerprint: String, origin: String)] in
            guard let origin = secret.origin else { return [] }
            return Set([secret.value, FormEncoding.encode(secret.value)]).map { (Fingerprint.of($0), origin) }
        }
    }

    var load: TargetLoad {
        var load = lock.withLock { figures }
        let givenUp = breaker.reasons.map(redactor.redact)
        load.endpointsGivenUp = givenUp.isEmpty ? nil : givenUp
        return load
    }

    func count(_ change: (inout TargetLoad) -> Void) {
        lock.withLock { change(&figures) }
    }

    /// Waits for this target's next request slot, when the target has a pace.
    func pace() async {
        await pacer?.nextSlot()
    }

    /// How a flow in the shared browser went: its value, whether it signed in, and whether it
    /// found the session gone (the server asked for a sign-in again).
    struct FlowResult<T: Sendable>: Sendable {
        var value: T
        var signedIn = false
        var sessionLost = false
    }

    /// Sessions renewed in one run at most: a server that keeps forgetting its sessions gets
    /// errors, not a sign-in per probe.
    static let renewals = 2

    /// Runs `flow` in a browser that carries the shared session. The first flow of a run signs in
    /// while the others wait for it; later ones start from its cookies. `flow` hears whether the
    /// browser has a session; one that signed in says so, and its cookies become the session of
    /// the rest. A flow that finds the session gone (a server restart, an expiry) runs again
    /// once: the first to notice signs in anew, the others take its cookies.
    func inSignedInBrowser<T: Sendable>(_ browser: HTTPAgent, seeded: Bool,
                                        _ flow: (_ hasSession: Bool) async throws -> FlowResult<T>) async throws -> T {
        var generation = lock.withLock { sessionGeneration }
        var result: FlowResult<T>
        if seeded {
            result = try await publishing(browser, hasSession: true, flow)
        } else if let cookies = lock.withLock({ sessionCookies }) {
            browser.importCookies(cookies)
            result = try await publishing(browser, hasSession: true, flow)
        } else {
            result = try await underSignInGate {
                let cookies = lock.withLock { sessionCookies }
                cookies.map(browser.importCookies)
                generation = lock.withLock { sessionGeneration }
                return try await publishing(browser, hasSession: cookies != nil, flow)
            }
        }
        guard result.sessionLost else { return result.value }
        return try await underSignInGate {
            let (current, cookies, renewed) = lock.withLock { (sessionGeneration, sessionCookies, renewedSessions) }
            if current != generation, let cookies {
                browser.importCookies(cookies)
                return try await publishing(browser, hasSession: true, flow).value
            }
            guard renewed < Self.renewals else { return result.value }
            lock.withLock { renewedSessions += 1 }
            return try await publishing(browser, hasSession: false, flow).value
        }
    }

    private func underSignInGate<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        await signInGate.enter()
        do {
            let value = try await body()
            await signInGate.leave()
            return value
        } catch {
            await signInGate.leave()
            throw error
        }
    }

    private func publishing<T: Sendable>(_ browser: HTTPAgent, hasSession: Bool,
                                         _ flow: (Bool) async throws -> FlowResult<T>) async throws -> FlowResult<T> {
        let result = try await flow(hasSession)
        if result.signedIn {
            let cookies = await browser.cookies()
            lock.withLock {
                sessionCookies = cookies
                sessionGeneration += 1
            }
        }
        return result
    }

    /// How each resource URL answered a request without a token, asked by the first probe that
    /// needed it (a failed ask is not kept).
    func anonymousStatus(of url: String, ask: () async throws -> Int) async throws -> Int {
        if let known = lock.withLock({ anonymousStatuses[url] }) { return known }
        let status = try await ask()
        lock.withLock { anonymousStatuses[url] = status }
        return status
    }

    /// A code of the user's TOTP from a time step no code was sent in yet: servers refuse a code
    /// used before (RFC 6238 §5.2), so a second sign-in within one period waits for the next.
    func oneTimeCode(_ otp: OneTimePassword) async throws -> String {
        while true {
            let step = otp.step(at: Date())
            let fresh = lock.withLock { () -> Bool in
                if let last = lastOneTimeStep, step <= last { return false }
                lastOneTimeStep = step
                return true
            }
            if fresh { return try TOTP.code(otp, step: step) }
            let untilNext = Double(step + 1) * Double(otp.period) - Date().timeIntervalSince1970
            try await Task.sleep(for: .seconds(max(0.05, untilNext + 0.05)))
        }
    }

    /// The shared session's cookies (Netscape lines), once a flow has signed in.
    var currentSessionCookies: [String]? { lock.withLock { sessionCookies } }

    /// Which sign-in cookies sign the user out when missing: tried once per run, by the first
    /// probe that asks; the others wait for its answer.
    func signingOutCookies(_ trial: @escaping @Sendable () async throws -> [String]) async throws -> [String] {
        let task = lock.withLock {
            if let running = signingOutTrial { return running }
            let started = Task { try await trial() }
            signingOutTrial = started
            return started
        }
        return try await task.value
    }

    /// What the latest sign-in showed (`pages.session-cookie-flags`, `pages.no-307-after-login`).
    var signInRecord: SignInRecord? { lock.withLock { latestSignIn } }

    func record(_ signIn: SignInRecord) {
        lock.withLock { latestSignIn = signIn }
    }

    /// A shared step's outcome, what was exchanged to get it, and the secrets it holds (codes,
    /// tokens), which the redactor of every probe that reads it must know.
    struct SharedOutcome: Sendable {
        var outcome: StepOutcome
        var exchanges: [RecordedExchange]
        var secrets: [String]
    }

    private enum SharedStep {
        case running(waiting: [CheckedContinuation<Ending, Never>])
        case done(SharedOutcome)
    }

    /// What a probe waiting for a shared step hears when the sender is done.
    private enum Ending {
        case kept(SharedOutcome)
        /// Not kept: ask again, and perhaps send it.
        case askAgain
        /// The request failed on the way (a timeout, a reset): each waiting probe sends it at
        /// once, rather than one after another, each waiting out another timeout in turn.
        case sendAtOnce
    }

    /// The outcome of the shared step `key`: the first probe to ask sends it (`send`), the
    /// others wait for its outcome. An outcome that decides nothing (the server failed, the
    /// answer was undecided) or an error is not kept: the next probe to ask sends it again; after
    /// a transport failure, every probe that waited sends it. `fresh` is true for a probe that sent it.
    func sharedStep(_ key: String, send: () async throws -> SharedOutcome) async throws -> (SharedOutcome, fresh: Bool) {
        enum Turn { case kept(SharedOutcome), wait, send }
        while true {
            let turn: Turn = lock.withLock {
                switch sharedSteps[key] {
                case .done(let outcome)?: return .kept(outcome)
                case .running?: return .wait
                case nil:
                    sharedSteps[key] = .running(waiting: [])
                    return .send
                }
            }
            switch turn {
            case .kept(let outcome): return (outcome, false)
            case .wait:
                let ending = await withCheckedContinuation { continuation in
                    lock.withLock {
                        switch sharedSteps[key] {
                        case .running(let waiting)?: sharedSteps[key] = .running(waiting: waiting + [continuation])
                        case .done(let outcome)?: continuation.resume(returning: .kept(outcome))
                        case nil: continuation.resume(returning: .askAgain)
                        }
                    }
                }
                switch ending {
                case .kept(let outcome): return (outcome, false)
                case .askAgain: continue
                case .sendAtOnce: return (try await send(), true)
                }
            case .send:
                do {
                    let outcome = try await send()
                    let decisive = outcome.outcome.serverFailure == nil && outcome.outcome.undecided == nil
                    finish(key, decisive ? .kept(outcome) : .askAgain)
                    return (outcome, true)
                } catch let error as ProbeError where error.transient {
                    finish(key, .sendAtOnce)
                    throw error
                } catch {
                    finish(key, .askAgain)
                    throw error
                }
            }
        }
    }

    private func finish(_ key: String, _ ending: Ending) {
        let waiting: [CheckedContinuation<Ending, Never>] = lock.withLock {
            guard case .running(let waiting)? = sharedSteps[key] else { return [] }
            if case .kept(let outcome) = ending { sharedSteps[key] = .done(outcome) } else { sharedSteps[key] = nil }
            return waiting
        }
        waiting.forEach { $0.resume(returning: ending) }
    }

    /// Runs `flow` right after `consent`, with no other probe's consent in between: declared
    /// consent calls set the user's grant on the server, and the next one may replace it. The
    /// server remembers a grant, so the calls are made again only when the grant `given` (the
    /// client and scope it names) differs from the one last made.
    func withConsent<T: Sendable>(_ consent: (() async throws -> Void)?, given grant: String,
                                  _ flow: () async throws -> T) async throws -> T {
        guard let consent else { return try await flow() }
        await consentGate.enter()
        do {
            if lock.withLock({ lastConsent }) != grant {
                lock.withLock { lastConsent = nil }
                try await consent()
                lock.withLock { lastConsent = grant }
            }
            let value = try await flow()
            await consentGate.leave()
            return value
        } catch {
            await consentGate.leave()
            throw error
        }
    }
}

/// A mutex for async code: one task at a time between `enter` and `leave`, the others wait in
/// order without blocking a thread.
actor AsyncGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

/// Spaces requests to at most `perSecond`, across every probe of a target.
actor Pacer {
    private let interval: Duration
    private var next = ContinuousClock.now

    init(perSecond: Double) {
        interval = .milliseconds(Int((1000 / max(perSecond, 0.01)).rounded()))
    }

    func nextSlot() async {
        let now = ContinuousClock.now
        let slot = max(now, next)
        next = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
