// The vault, export and report through the binding.
import Foundation
import Tacet
import XCTest

final class VaultTests: TacetTestCase {
  func testACorrectionKeepsTheHistory() throws {
    let agent = try openAgent()
    let refused = assertThrows(.permissionDenied,
                               try agent.addValue("play jazz", category: "voice",
                                                  field: "voice_commands"))
    XCTAssertTrue(refused?.message.contains("vault") ?? false, "\(String(describing: refused))")
    try agent.setCategoryProvided("contact", true)
    let id = try agent.setValue("ada@example.org", category: "contact", field: "email_address")
    XCTAssertEqual(try agent.setValue("ada@example.net", category: "contact",
                                      field: "email_address"), id)
    try agent.correctValue(recordID: id, to: "ada@example.com", source: .app)

    let record = try agent.value(recordID: id)
    XCTAssertEqual(record.value, "ada@example.com")
    XCTAssertEqual(record.version, 3)
    XCTAssertEqual(record.category, "contact")
    XCTAssertEqual(record.source, .app)
    XCTAssertEqual(try agent.values(category: "contact", field: "email_address").map(\.value),
                   ["ada@example.com"])
    let history = try agent.valueHistory(category: "contact", field: "email_address")
    XCTAssertEqual(history.map(\.value), ["ada@example.org", "ada@example.net", "ada@example.com"])
    XCTAssertEqual(history.map(\.version), [1, 2, 3])
    XCTAssertNotNil(history[0].replacedUnixMs)
    XCTAssertNil(history[2].replacedUnixMs)
    try agent.verifyVault()

    assertThrows(.alreadyExists, try agent.addValue("b@example.org", category: "contact",
                                                    field: "email_address"))
    let missing = assertThrows(.notFound, try agent.setValue("x", category: "contact",
                                                             field: "no_such_field"))
    XCTAssertTrue(missing?.message.contains("no_such_field") ?? false)
    assertThrows(.notFound, try agent.value(recordID: 9999))
    assertThrows(.invalidArgument, try agent.values(category: "con\0tact", field: "email_address"))

    let erased = try agent.erase(category: "contact")
    XCTAssertEqual(erased.records, 1)
    XCTAssertEqual(erased.historyEntries, 2)
    XCTAssertTrue(try agent.values(category: "contact", field: "email_address").isEmpty)
    try agent.eraseAll()
    try agent.verifyAudit()
  }

  func testExportAndReportFilesHoldTheData() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("contact", true)
    try agent.setValue("ada@example.org", category: "contact", field: "email_address")

    let file = path("export.json")
    let summary = try agent.export(toFile: file)
    XCTAssertEqual(summary.records, 1)
    let attributes = try FileManager.default.attributesOfItem(atPath: file)
    XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    let contents = try Data(contentsOf: URL(fileURLWithPath: file))
    let document = try JSONSerialization.jsonObject(with: contents)
    XCTAssertTrue(document is [String: Any])
    let text = String(decoding: contents, as: UTF8.self)
    XCTAssertTrue(text.contains("ada@example.org"))
    XCTAssertTrue(text.contains("voice") || text.contains("contact"))

    let (json, memorySummary) = try agent.export()
    XCTAssertEqual(memorySummary.records, 1)
    XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("ada@example.org"))
    XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])

    let page = path("report.html")
    XCTAssertEqual(try agent.report(toFile: page).records, 1)
    XCTAssertTrue(try String(contentsOfFile: page, encoding: .utf8).contains("<html"))
    XCTAssertTrue(String(decoding: try agent.report().html, as: UTF8.self).contains("</html>"))

    let inside = assertThrows(.invalidArgument, try agent.export(toFile: path("device/tacet.db")))
    XCTAssertTrue(inside?.message.contains("device folder") ?? false)
    assertThrows(.notFound, try agent.export(toFile: path("missing/export.json")))
  }
}
