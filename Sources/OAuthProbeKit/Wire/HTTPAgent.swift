import CCurl
import Foundation

/// libcurl must be initialised once per process before any handle exists.
private let curlGlobalInit: CURLcode = curl_global_init(oap_CURL_GLOBAL_DEFAULT)

/// One per actor (the browser, each client): owns one curl easy handle, and so one in-memory
/// cookie jar and its own connections. Requests on one agent run one at a time, each on the
/// agent's own serial queue, because `curl_easy_perform` blocks its thread and the Swift
/// cooperative pool is too small to lend threads to blocking calls.
public final class HTTPAgent: Sendable {
    public let settings: TransportSettings
    private let handle: CurlHandle
    private let queue: DispatchQueue
    private let trust: TrustAnchors

    /// Where the agent finds the certificates it trusts: the system's, plus `caFile` if given.
    enum TrustAnchors: Sendable {
        /// libcurl's default bundle (no extra anchors, or no system directory to look them up in).
        case libcurlDefault
        /// The system's hashed certificate directory, where OpenSSL reads only the certificate a
        /// chain needs, and the extra anchors' file: no bundle of every CA is parsed per
        /// connection (that parse was most of the harness's CPU).
        case directory(String, extraFile: String?)
        /// The system bundle and the extra anchors in one blob, where there is no directory.
        case bundle(Data)
    }

    public init(settings: TransportSettings) throws(WireError) {
        _ = curlGlobalInit
        guard let raw = curl_easy_init() else {
            throw WireError.other(code: -1, message: "libcurl could not create a handle")
        }
        let handle = CurlHandle(raw)
        self.settings = settings
        self.handle = handle
        self.trust = try Self.trustAnchors(raw, caFile: settings.caFile)
        self.queue = DispatchQueue(label: "oauthprobe.wire.agent")
    }

    private static func trustAnchors(_ raw: UnsafeMutableRawPointer, caFile: String?) throws(WireError) -> TrustAnchors {
        func defaultPath(_ info: CURLINFO) -> String? {
            var path: UnsafeMutablePointer<CChar>?
            guard oap_curl_getinfo_string(raw, info, &path) == CURLE_OK, let path else { return nil }
            return String(cString: path)
        }
        if let caFile, FileManager.default.contents(atPath: caFile) == nil { throw WireError.tls("cannot read CA file \(caFile)") }
        var isDirectory: ObjCBool = false
        if let directory = defaultPath(CURLINFO_CAPATH), FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
           isDirectory.boolValue {
            return .directory(directory, extraFile: caFile)
        }
        guard let caFile, let extra = FileManager.default.contents(atPath: caFile) else { return .libcurlDefault }
        // Added to the system anchors, not replacing them: read the bundle libcurl would use.
        var combined = Data()
        if let bundle = defaultPath(CURLINFO_CAINFO), let system = FileManager.default.contents(atPath: bundle) {
            combined.append(system)
            combined.append(contentsOf: Array("\n".utf8))
        }
        combined.append(extra)
        return .bundle(combined)
    }

    /// Sends one request and waits for its response without holding a cooperative thread.
    /// Cancelling the calling task aborts the transfer with `WireError.cancelled`.
    public func send(_ request: HTTPRequest) async throws(WireError) -> HTTPResponse {
        let target = try Self.prepare(request, settings: settings)
        let cancel = CancelFlag()
        let result: Result<HTTPResponse, WireError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: self.perform(request, target: target, cancel: cancel))
                }
            }
        } onCancel: {
            cancel.set()
        }
        return try result.get()
    }

    /// Puts a cookie into this agent's jar (e.g. a session cookie supplied by the user).
    /// A `domain` starting with `.` also matches subdomains; otherwise the cookie is host-only.
    /// Applied before any request sent after this call.
    public func addCookie(name: String, value: String, domain: String, path: String = "/", secure: Bool = false) {
        let includeSubdomains = domain.hasPrefix(".")
        // Netscape cookie file format; expiry 0 makes it a session cookie.
        let line = [domain, includeSubdomains ? "TRUE" : "FALSE", path, secure ? "TRUE" : "FALSE", "0", name, value]
            .joined(separator: "\t")
        let handle = self.handle
        queue.async {
            _ = oap_curl_setopt_string(handle.raw, CURLOPT_COOKIELIST, line)
        }
    }

    /// Puts cookies in Netscape format lines (as `cookies()` returns them) into this agent's jar:
    /// another agent's session, carried over.
    public func importCookies(_ lines: [String]) {
        let handle = self.handle
        queue.async {
            for line in lines { _ = oap_curl_setopt_string(handle.raw, CURLOPT_COOKIELIST, line) }
        }
    }

    /// The cookie jar in Netscape format lines (`domain, subdomains, path, secure, expiry, name,
    /// value` separated by tabs), for diagnosis and recording.
    public func cookies() async -> [String] {
        let handle = self.handle
        return await withCheckedContinuation { continuation in
            queue.async {
                var list: UnsafeMutablePointer<curl_slist>?
                var lines: [String] = []
                if oap_curl_getinfo_slist(handle.raw, CURLINFO_COOKIELIST, &list) == CURLE_OK {
                    var node = list
                    while let current = node {
                        if let data = current.pointee.data { lines.append(String(cString: data)) }
                        node = current.pointee.next
                    }
                    curl_slist_free_all(list)
                }
                continuation.resume(returning: lines)
            }
        }
    }

    /// Names of the cookies in the jar that libcurl would send with a request to `url`.
    public func cookieNames(sentTo url: String) async -> [String] {
        guard let parts = URLParts(url) else { return [] }
        return await cookies().compactMap(JarCookie.init).filter { $0.isSent(to: parts) }.map(\.name)
    }

    // MARK: - Preparation (no I/O)

    struct Target: Sendable {
        /// What libcurl parses for host, port and cookie matching.
        var curlURL: String
        /// The request-target written on the request line, verbatim.
        var requestTarget: String
    }

    static func prepare(_ request: HTTPRequest, settings: TransportSettings) throws(WireError) -> Target {
        guard let target = splitURL(request.url) else { throw WireError.invalidURL(request.url) }
        if target.plaintext, !(settings.allowInsecureHTTP || request.permitsPlaintext) {
            throw WireError.plaintextRefused(url: request.url)
        }
        return Target(curlURL: target.curlURL, requestTarget: target.requestTarget)
    }

    /// Splits an absolute URL into what libcurl needs to connect and the exact request-target.
    static func splitURL(_ url: String) -> (curlURL: String, requestTarget: String, plaintext: Bool)? {
        guard let separator = url.range(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = url[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }

        let origin = "\(scheme)://\(authority)"
        // libcurl only sees this URL to resolve the host and match cookie paths; bytes its parser
        // rejects are percent-encoded there, while the request line carries `target` unchanged.
        var curlURL = origin + percentEncodeForCurl(target)
        if oap_curl_url_parses(curlURL) == 0 {
            curlURL = origin + "/"
            guard oap_curl_url_parses(curlURL) != 0 else { return nil }
        }
        return (curlURL, target, scheme == "http")
    }

    private static func percentEncodeForCurl(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            if byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\\") {
                out += String(format: "%%%02X", byte)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    // MARK: - Transfer (on the agent's queue only)

    private func perform(_ request: HTTPRequest, target: Target, cancel: CancelFlag) -> Result<HTTPResponse, WireError> {
        let h = handle.raw
        curl_easy_reset(h) // options only: the cookie jar and live connections stay
        let exchange = Exchange(limit: settings.maxResponseBytes, cancel: cancel)
        let exchangePointer = Unmanaged.passUnretained(exchange).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for line in Self.headerLines(for: request) {
            headerList = curl_slist_append(headerList, line)
        }

        let timeout = request.timeout ?? settings.timeout
        let timeoutMS = max(1, Int(timeout.components.seconds) * 1000 + Int(timeout.components.attoseconds / 1_000_000_000_000_000))

        return errorBuffer.withUnsafeMutableBufferPointer { errorBytes -> Result<HTTPResponse, WireError> in
            var ok = true
            func set(_ rc: CURLcode) { if rc != CURLE_OK { ok = false } }
            set(oap_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBytes.baseAddress))
            set(oap_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1))
            set(oap_curl_setopt_string(h, CURLOPT_COOKIEFILE, "")) // in-memory jar, keeps cookies
            set(oap_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0))
            set(oap_curl_setopt_long(h, CURLOPT_PATH_AS_IS, 1))
            set(oap_curl_setopt_string(h, CURLOPT_PROXY, ""))
            set(oap_curl_setopt_string(h, CURLOPT_NOPROXY, "*"))
            set(oap_curl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https"))
            set(oap_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1))
            set(oap_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2))
            switch trust {
            case .libcurlDefault: break
            case .directory(let directory, let extraFile):
                set(oap_curl_setopt_string(h, CURLOPT_CAPATH, directory))
                set(oap_curl_setopt_string(h, CURLOPT_CAINFO, extraFile))
            case .bundle(let bundle):
                bundle.withUnsafeBytes { bytes in
                    set(oap_curl_setopt_blob(h, CURLOPT_CAINFO_BLOB, bytes.baseAddress, bytes.count))
                }
            }
            set(oap_curl_setopt_long(h, CURLOPT_HTTP_VERSION, oap_CURL_HTTP_VERSION_1_1))
            set(oap_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, timeoutMS))
            set(oap_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, timeoutMS))
            set(oap_curl_setopt_string(h, CURLOPT_URL, target.curlURL))
            set(oap_curl_setopt_string(h, CURLOPT_REQUEST_TARGET, target.requestTarget))
            set(oap_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList))

            set(oap_curl_setopt_write_cb(h, CURLOPT_WRITEFUNCTION, wireBodyCallback))
            set(oap_curl_setopt_pointer(h, CURLOPT_WRITEDATA, exchangePointer))
            set(oap_curl_setopt_write_cb(h, CURLOPT_HEADERFUNCTION, wireHeaderCallback))
            set(oap_curl_setopt_pointer(h, CURLOPT_HEADERDATA, exchangePointer))
            set(oap_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0))
            set(oap_curl_setopt_xferinfo_cb(h, CURLOPT_XFERINFOFUNCTION, wireProgressCallback))
            set(oap_curl_setopt_pointer(h, CURLOPT_XFERINFODATA, exchangePointer))
            // Verbose output goes to the callback only: it keeps the header block as sent.
            set(oap_curl_setopt_long(h, CURLOPT_VERBOSE, 1))
            set(oap_curl_setopt_debug_cb(h, CURLOPT_DEBUGFUNCTION, wireDebugCallback))
            set(oap_curl_setopt_pointer(h, CURLOPT_DEBUGDATA, exchangePointer))

            let body = request.body
            let method = request.method
            let emptyBody: StaticString = ""
            let run = { (bodyPointer: UnsafeRawPointer?, bodyCount: Int) -> CURLcode in
                if body != nil {
                    set(oap_curl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount)))
                    set(oap_curl_setopt_pointer(h, CURLOPT_POSTFIELDS,
                                                UnsafeMutableRawPointer(mutating: bodyPointer ?? UnsafeRawPointer(emptyBody.utf8Start))))
                    if method != "POST" { set(oap_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method)) }
                } else if method == "HEAD" {
                    set(oap_curl_setopt_long(h, CURLOPT_NOBODY, 1))
                } else {
                    set(oap_curl_setopt_long(h, CURLOPT_HTTPGET, 1))
                    if method != "GET" { set(oap_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method)) }
                }
                guard ok else { return CURLE_BAD_FUNCTION_ARGUMENT }
                return curl_easy_perform(h)
            }
            let rc: CURLcode
            if let body {
                rc = body.withUnsafeBytes { run($0.baseAddress, $0.count) }
            } else {
                rc = run(nil, 0)
            }

            guard rc == CURLE_OK else {
                let detail = String(cString: errorBytes.baseAddress!)
                let message = detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
                return .failure(Self.error(for: rc, message: message, url: request.url, exchange: exchange))
            }

            var status = 0
            oap_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
            let timings = HTTPTimings(
                nameLookup: .microseconds(Self.info(h, CURLINFO_NAMELOOKUP_TIME_T)),
                connect: .microseconds(Self.info(h, CURLINFO_CONNECT_TIME_T)),
                tlsHandshake: .microseconds(Self.info(h, CURLINFO_APPCONNECT_TIME_T)),
                firstByte: .microseconds(Self.info(h, CURLINFO_STARTTRANSFER_TIME_T)),
                total: .microseconds(Self.info(h, CURLINFO_TOTAL_TIME_T)))
            return .success(HTTPResponse(status: status, headers: exchange.headers, body: exchange.body,
                                         duration: timings.total, timings: timings, sentHeaders: exchange.sentHeaders))
        }
    }

    private static func info(_ h: UnsafeMutableRawPointer, _ what: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        _ = oap_curl_getinfo_off_t(h, what, &value)
        return Int64(value)
    }

    /// The caller's headers, plus removals of libcurl's own defaults the caller did not give.
    static func headerLines(for request: HTTPRequest) -> [String] {
        var lines: [String] = []
        for header in request.headers {
            // "Name:" would tell libcurl to drop the header; "Name;" sends it with an empty value.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        let given = Set(request.headers.map { $0.name.lowercased() })
        for name in ["Accept", "Expect", "Content-Type"] where !given.contains(name.lowercased()) {
            lines.append("\(name):")
        }
        return lines
    }

    private static func error(for rc: CURLcode, message: String, url: String, exchange: Exchange) -> WireError {
        if exchange.tooLarge { return .responseTooLarge(limit: exchange.limit) }
        switch rc {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_ABORTED_BY_CALLBACK:
            return exchange.cancel.isSet ? .cancelled : .other(code: Int(rc.rawValue), message: message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_USE_SSL_FAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT:
            return .tls(message)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
             CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return .connection(message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL(url)
        default:
            return .other(code: Int(rc.rawValue), message: message)
        }
    }
}

// MARK: - Helpers living on the agent's queue

/// The easy handle; touched only on its agent's serial queue, hence unchecked.
final class CurlHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }
    deinit { curl_easy_cleanup(raw) }
}

/// Set from the cancellation handler (any thread), read by libcurl's progress callback.
final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// What one transfer has received so far; owned by the queue thread during `perform`.
final class Exchange {
    let limit: Int
    let cancel: CancelFlag
    var body = Data()
    var headers: [HTTPHeader] = []
    /// Header and body bytes so far: both count toward the limit.
    var received = 0
    /// The last request header block libcurl sent (the request line dropped).
    var sentHeaders: [HTTPHeader] = []
    var tooLarge = false

    /// Counts bytes arriving; false once they pass the limit, which stops the transfer.
    func accept(_ count: Int) -> Bool {
        received += count
        if received > limit { tooLarge = true }
        return !tooLarge
    }

    init(limit: Int, cancel: CancelFlag) {
        self.limit = limit
        self.cancel = cancel
    }

    func sentHeaderBlock(_ bytes: UnsafeBufferPointer<UInt8>) {
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").dropFirst()
        sentHeaders = lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return HTTPHeader(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    func receiveHeaderLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Trim CR LF as bytes: in a Swift String "\r\n" is one Character, not two.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = [] // a new status line: an interim (1xx) response's headers are dropped
        } else if line.isEmpty {
            return
        } else if line.first == " " || line.first == "\t", !headers.isEmpty {
            // obsolete line folding: continues the previous header's value
            headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            headers.append(HTTPHeader(name: name, value: value))
        }
    }
}

private let wireBodyCallback: oap_curl_write_cb = { pointer, size, count, userdata in
    let exchange = Unmanaged<Exchange>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    guard exchange.accept(length) else { return 0 } // makes libcurl fail the transfer
    if let pointer, length > 0 {
        pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            exchange.body.append($0, count: length)
        }
    }
    return length
}

private let wireHeaderCallback: oap_curl_write_cb = { pointer, size, count, userdata in
    let exchange = Unmanaged<Exchange>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    guard exchange.accept(length) else { return 0 }
    if let pointer {
        pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            exchange.receiveHeaderLine(UnsafeBufferPointer(start: $0, count: length))
        }
    }
    return length
}

private let wireDebugCallback: oap_curl_debug_cb = { _, type, pointer, size, userdata in
    guard type == CURLINFO_HEADER_OUT, let pointer, let userdata else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(userdata).takeUnretainedValue()
    pointer.withMemoryRebound(to: UInt8.self, capacity: size) {
        exchange.sentHeaderBlock(UnsafeBufferPointer(start: $0, count: size))
    }
    return 0
}

private let wireProgressCallback: oap_curl_xferinfo_cb = { userdata, _, _, _, _ in
    let exchange = Unmanaged<Exchange>.fromOpaque(userdata!).takeUnretainedValue()
    return exchange.cancel.isSet ? 1 : 0
}
