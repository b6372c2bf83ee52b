import CXMLSupport
import Foundation

/// Checks generated reports (e.g. JUnit) against an XML Schema, so a consumer will not reject them.
public enum XMLSchemaValidator {
    private struct Problem: Decodable {
        var line: Int
        var message: String
    }

    /// Problems as `line N: message` (`line 0` when libxml2 gives no position); empty means the
    /// document is well-formed and valid. Not-well-formed XML is reported the same way.
    public static func validate(xml: Data, schemaPath: String) -> [String] {
        let json: Data? = xml.withUnsafeBytes { raw -> Data? in
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            guard let result = schemaPath.withCString({
                oap_xml_schema_validate_json(base, raw.count, $0)
            }) else { return nil }
            defer { oap_xml_free(result) }
            return Data(bytes: result, count: strlen(result))
        }
        guard let json, let problems = try? JSONDecoder().decode([Problem].self, from: json) else {
            return ["line 0: validation could not run (out of memory)"]
        }
        return problems.map { "line \($0.line): \($0.message)" }
    }
}
