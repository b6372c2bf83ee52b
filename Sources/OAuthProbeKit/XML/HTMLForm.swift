import CXMLSupport
import Foundation

/// A control of an HTML form as a browser would see it, so a sign-in strategy can fill and submit it.
public struct HTMLFormField: Sendable, Hashable, Decodable {
    public var name: String
    /// Lowercased: `text`, `hidden`, `password`, `checkbox`, `radio`, `select`, `select-multiple`,
    /// `textarea`, `submit`, `image`, ...
    public var type: String
    /// The value a browser would submit (`on` for a checkbox or radio without value).
    public var value: String
    /// For checkboxes and radios: checked; for selects: an option was explicitly selected.
    public var checked: Bool
    /// Disabled controls are never submitted by browsers.
    public var disabled: Bool
    /// Visible text of a button or selected option, to pick "Allow" from "Deny" on a consent page.
    public var label: String
    /// An input's `autocomplete`, `inputmode`, `placeholder` and `id`, as written: what the field is
    /// for (`username`, `current-password`, `one-time-code`; `numeric`), where present.
    public var autocomplete: String?
    public var inputmode: String?
    public var placeholder: String?
    public var id: String?

    /// A control a person types into (not hidden, not a button, box or file).
    public var isVisibleInput: Bool {
        !name.isEmpty && !["hidden", "submit", "image", "button", "reset", "checkbox", "radio", "file"].contains(type.lowercased())
    }

    public init(name: String, type: String, value: String, checked: Bool = false,
                disabled: Bool = false, label: String = "", autocomplete: String? = nil, inputmode: String? = nil) {
        self.autocomplete = autocomplete
        self.inputmode = inputmode
        self.name = name
        self.type = type
        self.value = value
        self.checked = checked
        self.disabled = disabled
        self.label = label
    }
}

/// An HTML form found on a page: where it posts and what it would send.
public struct HTMLForm: Sendable, Hashable, Decodable {
    public var id: String?
    public var name: String?
    /// The raw `action` attribute (may be empty, meaning the page's own URL); not resolved.
    public var action: String
    /// Lowercased; `get` when absent.
    public var method: String
    /// Lowercased; `application/x-www-form-urlencoded` when absent.
    public var enctype: String
    /// Inputs (other than submit/image/button/reset), selects and textareas, in document order.
    public var fields: [HTMLFormField]
    /// Submit inputs, image inputs and submit buttons, in document order.
    public var buttons: [HTMLFormField]

    /// The first field with this name.
    public func field(named name: String) -> HTMLFormField? {
        fields.first { $0.name == name }
    }

    /// Name/value pairs a browser would submit: enabled, named fields (checkboxes and radios only
    /// when checked), then the pressed button's own name/value if it has a name.
    public func submission(pressing button: HTMLFormField? = nil) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        for field in fields where !field.disabled && !field.name.isEmpty {
            if field.type == "checkbox" || field.type == "radio", !field.checked { continue }
            if field.type == "file" { continue }
            pairs.append((field.name, field.value))
        }
        if let button, !button.name.isEmpty {
            pairs.append((button.name, button.value))
        }
        return pairs
    }
}

/// What the form parser read from a page.
public struct HTMLPage: Sendable, Hashable, Decodable {
    /// Text of the first `<title>`, whitespace collapsed; nil when there is none.
    public var title: String?
    /// The content of the page's last `<meta name="referrer">`, which sets its Referrer Policy.
    public var referrer: String? = nil
    /// `href` of every `<a>` and `<area>`, as written: where a click sends the browser.
    public var links: [String] = []
    /// `content` of every `<meta http-equiv="refresh">` (`"0; url=…"`): where the page sends it by itself.
    public var refreshes: [String] = []
    /// The text of every inline `<script>`: what a script may send the browser to.
    public var scripts: [String] = []
    public var forms: [HTMLForm]

    /// The URL a meta refresh names, if any (`5; URL='https://…'`, HTML §4.2.5.3's shape).
    static func refreshTarget(_ content: String) -> String? {
        guard let separator = content.firstIndex(where: { $0 == ";" || $0 == "," }) else { return nil }
        var rest = content[content.index(after: separator)...].drop { $0 == " " }
        guard rest.lowercased().hasPrefix("url") else { return nil }
        rest = rest.dropFirst(3).drop { $0 == " " }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        if let quote = rest.first, quote == "'" || quote == "\"" {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != quote })
        }
        return String(rest).trimmingCharacters(in: .whitespaces)
    }
}

/// Reads login and consent pages leniently (broken HTML is recovered, never fetched further).
public enum HTMLFormParser {
    /// Parses the page. `encoding` (e.g. the response's charset) overrides detection; without it
    /// the page is read as UTF-8 unless it declares a charset itself.
    public static func parse(_ html: Data, encoding: String? = nil) -> HTMLPage {
        let json: Data? = html.withUnsafeBytes { raw -> Data? in
            let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self)
            let result: UnsafeMutablePointer<CChar>?
            if let encoding {
                result = encoding.withCString { oap_html_forms_json(base, raw.count, $0) }
            } else {
                result = oap_html_forms_json(base, raw.count, nil)
            }
            guard let result else { return nil }
            defer { oap_xml_free(result) }
            return Data(bytes: result, count: strlen(result))
        }
        guard let json, let page = try? JSONDecoder().decode(HTMLPage.self, from: json) else {
            return HTMLPage(title: nil, forms: [])
        }
        return page
    }

    /// The page's forms in document order.
    public static func forms(in html: Data) -> [HTMLForm] {
        parse(html).forms
    }

    /// The page's `<title>` text, if any.
    public static func title(in html: Data) -> String? {
        parse(html).title
    }
}
