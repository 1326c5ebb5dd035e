// Opening and closing an agent: ownership, idempotent close, use after close, bad options,
// a data folder that is a file, a second agent on one folder, and a loop of open/close.
import Foundation
import Tacet
import XCTest

final class LifecycleTests: TacetTestCase {
  func testCloseIsIdempotentAndUseAfterCloseIsAnError() throws {
    let agent = try openAgent()
    XCTAssertFalse(try agent.policyID().isEmpty)
    try agent.close()
    try agent.close()
    let error = assertThrows(.failedPrecondition, try agent.setPurpose("analytics", .granted))
    XCTAssertTrue(error?.message.contains("closed") ?? false, "\(String(describing: error))")
    assertThrows(.failedPrecondition, try agent.consent(of: .purpose("analytics")))
    assertThrows(.failedPrecondition, try agent.addConsentListener { _ in })
    assertThrows(.failedPrecondition, try agent.export(toFile: path("export.json")))
  }

  func testDeinitClosesAndReleasesTheFolder() throws {
    var first: Agent? = try openAgent()
    XCTAssertNotNil(first)
    // The folder is owned: a second agent does not wait (timeout 0) and says so.
    let error = assertThrows(.unavailable, try openAgent())
    XCTAssertTrue(error?.message.contains("tacet_agent_open") ?? false,
                  "\(String(describing: error))")
    first = nil  // deinit: tacet_agent_free closes and unlocks without close()
    let second = try openAgent()
    try second.close()
  }

  func testADataDirectoryThatIsAFileIsAClearError() throws {
    let file = path("not-a-folder")
    XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
    var options = options()
    options.dataDirectory = file
    do {
      _ = try Agent(options: options)
      XCTFail("opened a device in a regular file")
    } catch let error as TacetError {
      XCTAssertEqual(error.code, .failedPrecondition)
      XCTAssertTrue(error.message.contains("not-a-folder"), "\(error)")
    }
  }

  func testOptionsAreCheckedAndNamed() throws {
    var options = options()
    options.lockTimeoutMilliseconds = -1
    assertThrows(.invalidArgument, try Agent(options: options))
    options = self.options()
    options.dataDirectory = ""
    assertThrows(.invalidArgument, try Agent(options: options))
    options = self.options()
    options.dataDirectory = path("dev\0ice")  // C would read "…/dev": refused, not truncated
    let nul = assertThrows(.invalidArgument, try Agent(options: options))
    XCTAssertTrue(nul?.message.contains("dataDirectory contains a NUL") ?? false)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("dev")))
    options = self.options()
    options.audioFormat = AudioFormat(sampleRateHz: 1, channels: 1, frameMilliseconds: 20)
    assertThrows(.invalidArgument, try Agent(options: options))
    options = self.options()
    options.sync = SyncConfiguration(url: "https://127.0.0.1:1/gateway",
                                     keyConfiguration: testKeyConfiguration,
                                     spkiSHA256: [1, 2, 3])
    let pin = assertThrows(.invalidArgument, try Agent(options: options))
    XCTAssertTrue(pin?.message.contains("spkiSHA256 has 3 bytes") ?? false)
    options.sync = SyncConfiguration(url: "https://127.0.0.1:1/gateway", keyConfiguration: [])
    options.sync?.spkiSHA256 = [UInt8](repeating: 7, count: 32)
    let config = assertThrows(.invalidArgument, try Agent(options: options))
    XCTAssertTrue(config?.message.contains("key_config") ?? false, "\(String(describing: config))")
    options = self.options()
    options.create = false
    assertThrows(.notFound, try Agent(options: options))
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("device/tacet.db")))
  }

  func testReadOnlyAndKeyStoreDirectory() throws {
    var options = options()
    options.keyStoreDirectory = path("keys-elsewhere")
    let agent = try Agent(options: options)
    try agent.setCategoryProvided("contact", true)
    try agent.close()
    XCTAssertTrue(FileManager.default.fileExists(atPath: path("keys-elsewhere")))
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("device/keys")))
    options.readOnly = true
    let reader = try Agent(options: options)
    XCTAssertEqual(try reader.consent(of: .category("contact")), .granted)
    assertThrows(.failedPrecondition, try reader.setCategoryProvided("contact", false))
  }

  func testTwoHundredOpensAndClosesLeaveNothingBehind() throws {
    // Warm up (lazy one-time allocations), then count descriptors and closures.
    try openAgent().close()
    let descriptors = openFileDescriptors()
    var released: [Weak] = []
    let start = Date()
    for i in 0..<200 {
      let agent = try openAgent()
      let witness = Witness()
      released.append(Weak(witness))
      try agent.addConsentListener { _ in witness.touch() }
      if i % 2 == 0 { try agent.close() }  // the others are closed by deinit alone
    }
    let elapsed = Date().timeIntervalSince(start)
    XCTAssertEqual(openFileDescriptors(), descriptors, "descriptors leaked")
    XCTAssertTrue(released.allSatisfy { $0.value == nil }, "a listener's closure was not released")
    print("200 open/close cycles: \(String(format: "%.2f", elapsed)) s")
  }
}
