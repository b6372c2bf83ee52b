/// One probe variant on one target, decided before anything is sent.
public struct PlannedProbe: Sendable {
    public var targetIndex: Int
    public var suite: Suite
    public var probe: Probe
    public var variant: Variant?
    /// Set when the target lacks what the probe needs; the probe is then not run.
    public var skipReason: String?

    public var displayID: String { variant.map { "\(probe.id)[\($0.name)]" } ?? probe.id }
}

public struct Plan: Sendable {
    public var targets: [Target]
    public var items: [PlannedProbe]
}
