import Foundation

/// Where one report goes. Checked before any probe runs, so a run is not spent on a report that
/// cannot be written, and written after; a problem is said in plain words, naming the file.
public struct ReportFile: Sendable {
    /// How messages name the report: `JSON`, `JUnit`…
    public var format: String
    public var path: String

    public init(format: String, path: String) {
        self.format = format
        self.path = path
    }

    /// `cannot write the JSON report to out/results.json: it is a folder`.
    public func failure(_ problem: String) -> String {
        "cannot write the \(format) report to \(path): \(problem)"
    }

    /// Why the report cannot be written, or nil when it can. Makes the missing folders and opens
    /// the file for writing (without emptying it), removing it again if it was not there.
    public func problem() -> String? {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        if let file = Self.fileInPlaceOfFolder(folder) { return "\(file) is a file, not a folder" }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            return "cannot make the folder \(folder.path)"
        }
        let existed = FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { return Self.words(for: errno) }
        close(descriptor)
        if !existed { unlink(path) }
        return nil
    }

    /// Writes the report; the problem in words if that failed.
    public func write(_ data: Data) -> String? {
        if let problem = problem() { return problem }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return Self.words(for: errno) }
        do {
            try FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).write(contentsOf: data)
            return nil
        } catch let error as NSError where error.domain == NSPOSIXErrorDomain {
            return Self.words(for: Int32(error.code))
        } catch {
            return "\(error)"
        }
    }

    /// The nearest existing path at or above `folder`, when it is a file rather than a folder.
    private static func fileInPlaceOfFolder(_ folder: URL) -> String? {
        var current = folder.standardizedFileURL
        while current.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: current.path, isDirectory: &isFolder) {
                return isFolder.boolValue ? nil : current.path
            }
            current.deleteLastPathComponent()
        }
        return nil
    }

    private static func words(for code: Int32) -> String {
        switch code {
        case EISDIR: "it is a folder"
        case ENOTDIR: "a part of the path is a file, not a folder"
        case EACCES, EPERM: "permission denied"
        case EROFS: "the file system is read-only"
        case ENOSPC, EDQUOT: "no space left"
        case ENOENT: "the folder does not exist"
        default: String(cString: strerror(code))
        }
    }
}
