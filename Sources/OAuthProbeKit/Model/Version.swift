/// The tool's version, written into every results file so a reader knows what produced it.
public enum OAuthProbeVersion {
    public static let current = "0.1.0"
}
