import Foundation
import Testing
@testable import OAuthProbeKit

/// `run --shard I/N`, `merge` and `report`, on a synthetic run of the real catalogue: no server needed.
@Suite("Shards, merge and reports from a results file")
struct ShardMergeTests {
    static let plan: Plan = {
        let suites = SuiteLoader().load(paths: [TestSupport.suitesFolder]).suites
        let targets = ["staging", "production"].map { name in
            Target(name: name, issuer: "https://\(name).example", clients: [.public: Client(clientID: "spa", secret: nil, redirectURI: "https://spa.example/cb",
                                                                                            scope: "openid", authMethod: .none)],
                   file: "targets/\(name).yaml")
        }
        return Planner.plan(targets: targets, suites: suites)
    }()

    /// Every plan item decided, as the runner would return them: in plan order, with positions.
    static let whole: RunRecord = {
        let verdicts: [Verdict] = [.pass, .fail, .pass, .error, .skip]
        let results = plan.items.enumerated().map { index, item in
            var result = SampleRun.result(item.probe.id, variant: item.variant?.name, verdicts[index % verdicts.count],
                                          target: plan.targets[item.targetIndex].name, severity: item.probe.severity,
                                          message: "reason \(index)")
            result.suite = item.suite.name
            result.location = item.variant?.location ?? item.probe.location
            result.duration = .milliseconds(index * 7)
            result.position = index
            return result
        }
        return RunRecord(targets: plan.targets.map { .init(name: $0.name, issuer: $0.issuer, file: $0.file,
                                                          issuerLocation: SourceLocation(file: $0.file, line: 2, column: 1)) },
                         results: results, started: Date(timeIntervalSince1970: 1_700_000_000), finished: Date(timeIntervalSince1970: 1_700_000_300))
    }()

    /// Every format as bytes, for comparison.
    static func reports(_ record: RunRecord) -> [String: Data] {
        ["junit": JUnitReport.render(record), "json": JSONReport.render(record), "html": Data(HTMLReport.render(record).utf8),
         "markdown": Data(MarkdownReport.render(record).utf8), "sarif": SARIFReport.render(record),
         "console": Data(ConsoleReport(colour: false).summary(record.results, targets: record.targets.map(\.name)).utf8)]
    }

    /// One shard's results file, as `run --shard` writes it.
    static func shardFile(_ shard: Shard) throws -> (name: String, record: RunRecord, tool: String) {
        let positions = plan.shard(shard).positions
        var record = whole
        record.results = positions.map { whole.results[$0] }
        record.shard = shard
        let document = try JSONReport.read(JSONReport.render(record), file: "shard-\(shard.index).json")
        return ("shard-\(shard.index).json", RunRecord(document), document.tool.version)
    }

    @Test("the shards split the plan: every probe variant on every target in exactly one, evenly", arguments: [1, 2, 3, 5])
    func partition(count: Int) {
        let parts = (1...count).map { Self.plan.shard(Shard(index: $0, count: count)!) }
        let positions = parts.flatMap(\.positions)
        #expect(positions.sorted() == Array(Self.plan.items.indices))
        let sizes = parts.map(\.plan.items.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
        #expect(parts.allSatisfy { $0.positions == $0.positions.sorted() }, "each shard keeps plan order")
    }

    @Test("the split depends on names only: the same on every machine, whatever the target order")
    func stable() throws {
        let reversed = Plan(targets: Self.plan.targets.reversed(), items: Self.plan.items.map { var item = $0; item.targetIndex = 1 - item.targetIndex; return item })
        for index in 1...3 {
            let shard = Shard(index: index, count: 3)!
            let names = { (p: Plan) in Set(p.shard(shard).plan.items.map { "\(p.targets[$0.targetIndex].name) \($0.displayID)" }) }
            #expect(names(Self.plan) == names(reversed))
        }
        #expect(Shard("2/3") == Shard(index: 2, count: 3))
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3"] { #expect(Shard(bad) == nil, "\(bad)") }
    }

    @Test("every format written from a results file equals the one written by the run itself")
    func reportFromJSON() throws {
        for record in [SampleRun.record(), Self.whole] {
            let back = RunRecord(try SampleRun.document(record))
            #expect(Self.reports(back) == Self.reports(record))
        }
    }

    @Test("merged shards give the reports of the unsharded run, whatever order the files come in", arguments: [2, 3])
    func mergedEqualsWhole(count: Int) throws {
        let files = try (1...count).map { try Self.shardFile(Shard(index: $0, count: count)!) }
        let (merged, warnings) = try ResultsMerge.merge(files.reversed())
        #expect(warnings.isEmpty)
        let expected = Self.reports(Self.whole), actual = Self.reports(merged)
        for format in expected.keys.sorted() { #expect(actual[format] == expected[format], "\(format)") }
    }

    @Test("merge refuses overlapping results and shards of different splits, and warns about a missing shard")
    func refusals() throws {
        let one = try Self.shardFile(Shard(index: 1, count: 2)!)
        #expect(throws: ResultsMerge.Failure.self) { try ResultsMerge.merge([one, one]) }
        let other = try Self.shardFile(Shard(index: 2, count: 3)!)
        let mixed = #expect(throws: ResultsMerge.Failure.self) { try ResultsMerge.merge([one, other]) }
        #expect(mixed?.description == "shard-2.json is shard 2/3 but shard-1.json is shard 1/2: merge the shards of one split")
        #expect(try ResultsMerge.merge([one]).warnings == ["shard 2/2 not given: the merged results are incomplete"])
        var renamed = try Self.shardFile(Shard(index: 2, count: 2)!)
        renamed.record.targets[0].issuer = "https://other.example"
        #expect(throws: ResultsMerge.Failure.self) { try ResultsMerge.merge([one, renamed]) }
    }

    @Test("a results file of another schema version is refused by name")
    func schemaVersion() throws {
        let text = String(decoding: JSONReport.render(Self.whole), as: UTF8.self).replacingOccurrences(of: #""schema_version" : 1"#, with: #""schema_version" : 2"#)
        let failure = #expect(throws: JSONReport.ReadFailure.self) { try JSONReport.read(Data(text.utf8), file: "new.json") }
        #expect(failure?.description == "new.json: schema_version 2; this oauthprobe reads 1")
    }

    @Test("a damaged results file names the place: results[1].verdict")
    func damaged() throws {
        let text = String(decoding: JSONReport.render(SampleRun.record()), as: UTF8.self)
        let broken = text.replacingOccurrences(of: #""verdict" : "fail""#, with: #""verdict" : "broken""#)
        let failure = #expect(throws: JSONReport.ReadFailure.self) { try JSONReport.read(Data(broken.utf8), file: "x.json") }
        #expect(failure?.description.hasPrefix("x.json: results[1].verdict: ") == true, "\(failure?.description ?? "")")
    }

    @Test("the reader ignores fields it does not know, as a newer oauthprobe of the same schema may add")
    func tolerant() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: JSONReport.render(SampleRun.record())) as? [String: Any])
        var results = try #require(object["results"] as? [[String: Any]])
        results = results.map { var result = $0; result["attempts"] = 3; return result }
        object["results"] = results
        object["request_counts"] = ["staging": 12]
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONReport.read(data, file: "x.json").results.count == results.count)
    }
}
