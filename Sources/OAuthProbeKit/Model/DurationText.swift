/// A length of time as a person writes it on a command line: a whole number and a unit, `90s`,
/// `5m`, `1h` (`--deadline`).
public enum DurationText {
    static let units: [(suffix: Character, seconds: Int64)] = [("s", 1), ("m", 60), ("h", 3600)]

    /// The duration, or nil for anything else (no unit, zero, a fraction, a sign).
    public static func parse(_ text: String) -> Duration? {
        guard let last = text.last, let unit = units.first(where: { $0.suffix == last }),
              text.dropLast().allSatisfy(\.isASCIIDigit), let count = Int64(text.dropLast()), count > 0,
              count <= Int64.max / unit.seconds else { return nil }
        return .seconds(count * unit.seconds)
    }

    /// `90s`, `5m`, `1h`: the largest unit that divides it.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        let unit = units.last { seconds % $0.seconds == 0 && seconds >= $0.seconds } ?? units[0]
        return "\(seconds / unit.seconds)\(unit.suffix)"
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
