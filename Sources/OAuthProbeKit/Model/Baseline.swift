import Foundation

/// A known failure a team accepts for a while: which probe (an id glob), optionally on which
/// target, why, and until when. Waivers expire so an accepted risk is looked at again.
public struct Waiver: Sendable, Hashable {
    /// Matches a probe id or its `id[variant]` name, as `--only` does: `redirect-uri.*`.
    public var probe: String
    /// A target name glob; nil waives the probe on every target.
    public var target: String?
    /// The step whose expectation failed, the one failure accepted: a failure at another step of
    /// the probe is a new finding. Nil accepts any failure of the probe.
    public var step: String?
    public var reason: String
    /// The last day the waiver holds (`2026-06-30`), in UTC.
    public var expires: String
    public var location: SourceLocation

    public init(probe: String, target: String?, step: String? = nil, reason: String, expires: String, location: SourceLocation) {
        self.probe = probe
        self.target = target
        self.step = step
        self.reason = reason
        self.expires = expires
        self.location = location
    }

    /// The waiver speaks of this result: its probe (an exact name matches too: in a glob,
    /// `[host-case]` would be a character class) on its target, and for a failure, the step
    /// that failed, when the waiver names one.
    public func matches(_ result: ProbeResult) -> Bool {
        names(result) && (step == nil || result.verdict != .fail || result.failedStep == step)
    }

    /// The waiver names this result's probe and target, whatever failed.
    func names(_ result: ProbeResult) -> Bool {
        [result.probeID, result.displayID].contains { probe == $0 || Self.glob(probe, $0) }
            && (target.map { Self.glob($0, result.target) } ?? true)
    }

    /// Dates as `YYYY-MM-DD` compare correctly as text.
    public func holds(on day: String) -> Bool { day <= expires }

    static func glob(_ pattern: String, _ text: String) -> Bool { fnmatch(pattern, text, 0) == 0 }
}

/// What a waiver did to a result, so every report can say so.
public struct WaiverStatus: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// The failure is accepted until `expires`: reported as skipped, type `waived`.
        case waived
        /// The waiver ran out: the failure counts again.
        case expired
        /// The probe passes now: the waiver can be removed.
        case stale
    }

    public var kind: Kind
    public var reason: String
    public var expires: String
    /// `baseline.yaml:4:5`, where the waiver is written.
    public var source: String

    /// `reason (until 2026-06-30)`, the text JUnit and the other reports show.
    public var summary: String {
        switch kind {
        case .waived: "\(reason) (until \(expires))"
        case .expired: "waiver expired on \(expires): \(reason)"
        case .stale: "stale waiver (until \(expires)): the probe passes now; remove it from \(source)"
        }
    }
}

/// A baseline file: the waivers a team keeps beside its target files.
public struct Baseline: Sendable {
    public var file: String
    public var waivers: [Waiver]

    public init(file: String, waivers: [Waiver]) {
        self.file = file
        self.waivers = waivers
    }

    /// Today in UTC as `YYYY-MM-DD`, the form waivers are written in.
    public static func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// The results with waivers applied: a waived failure becomes a skip (not counted by the exit
    /// status), an expired waiver leaves the failure standing with a note, and a waived probe that
    /// passes is marked stale. The first matching waiver wins, as in the file's order; a waiver
    /// that names a step waives a failure at that step only.
    public func apply(to results: [ProbeResult], today: String) -> [ProbeResult] {
        results.map { result in
            guard let waiver = waivers.first(where: { $0.matches(result) }) else { return result }
            var result = result
            let status = { (kind: WaiverStatus.Kind) in
                WaiverStatus(kind: kind, reason: waiver.reason, expires: waiver.expires, source: waiver.location.description)
            }
            switch result.verdict {
            case .fail where waiver.holds(on: today):
                result.verdict = .skip
                result.waiver = status(.waived)
            case .fail:
                result.waiver = status(.expired)
            case .pass:
                result.waiver = status(.stale)
            case .error, .skip:
                break
            }
            return result
        }
    }

    /// Waivers that named no result: a typo in an id, or a probe since removed.
    public func unused(by results: [ProbeResult]) -> [Waiver] {
        waivers.filter { waiver in !results.contains(where: waiver.names) }
    }
}
