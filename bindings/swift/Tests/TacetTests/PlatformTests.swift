// What an app supplies: its own key store (the Keychain on iOS) and logger, and signed policy
// updates; plus oversized inputs, which must come back as errors.
import Foundation
import Tacet
import XCTest

/// A key store in the app's memory, standing in for the Keychain: the agent's secrets must land
/// here and nowhere on disk.
final class MemoryKeyStore: KeyStore {
  let secrets = Locked<[String: [UInt8]]>([:])
  /// While true, every put fails as a locked Keychain would.
  let locked: Locked<Bool>
  init(locked: Bool = false) { self.locked = Locked(locked) }

  func put(_ name: String, secret: [UInt8]) throws {
    if locked.get { throw TacetError(code: .unavailable, message: "keychain locked") }
    try secrets.withLock { secrets in
      if secrets[name] != nil { throw TacetError(code: .alreadyExists, message: name) }
      secrets[name] = secret
    }
  }
  func get(_ name: String) throws -> [UInt8]? { secrets.get[name] }
  func delete(_ name: String) throws -> Bool { secrets.withLock { $0.removeValue(forKey: name) != nil } }
}

final class PlatformTests: TacetTestCase {
  func testTheAppsKeyStoreHoldsTheSecrets() throws {
    let store = MemoryKeyStore()
    var options = options()
    options.keyStore = store
    do {
      let agent = try Agent(options: options)
      try agent.setCategoryProvided("contact", true)
      try agent.setValue("ada@example.org", category: "contact", field: "email_address")
      try agent.close()
    }
    XCTAssertFalse(store.secrets.get.isEmpty)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path("device/keys")))
    // Reopened with the same store, the data decrypts; erasing the category destroys its key.
    let agent = try Agent(options: options)
    XCTAssertEqual(try agent.values(category: "contact", field: "email_address").map(\.value),
                   ["ada@example.org"])
    let before = store.secrets.get.count
    try agent.erase(category: "contact")
    XCTAssertLessThan(store.secrets.get.count, before)
    try agent.close()

    // Another (empty) store does not belong to this device: refused, nothing created.
    var stranger = options
    stranger.keyStore = MemoryKeyStore()
    let error = assertThrows(.failedPrecondition, try Agent(options: stranger))
    XCTAssertTrue(error?.message.contains("key store") ?? false, "\(String(describing: error))")
  }

  func testAKeyStoreThatThrowsIsAnErrorNamingIt() throws {
    var options = options()
    options.keyStore = MemoryKeyStore(locked: true)
    let error = assertThrows(.unavailable, try Agent(options: options))
    XCTAssertTrue(error?.message.contains("key store") ?? false, "\(String(describing: error))")
    options.keyStore = MemoryKeyStore()
    options.keyStoreDirectory = path("keys")
    assertThrows(.invalidArgument, try Agent(options: options))
  }

  func testTheLoggerGetsTheDiagnostics() throws {
    let lines = Locked<[(LogLevel, String)]>([])
    let store = MemoryKeyStore()
    var options = options()
    options.logLevel = .debug
    options.keyStore = store
    options.logger = { level, message in lines.withLock { $0.append((level, message)) } }
    let agent = try Agent(options: options)
    try agent.setPurpose("voice_features", .granted)
    // Closing advances the device generation in the key store; a locked Keychain makes that
    // fail, which the agent reports through the logger.
    store.locked.withLock { $0 = true }
    try? agent.close()
    let logged = lines.get
    XCTAssertTrue(logged.contains { $0.0 == .warning && $0.1.contains("generation") },
                  "\(logged.map(\.1))")
  }

  func testPolicyUpdatesNeedTheKeyAndAValidSignature() throws {
    let agent = try openAgent("unsigned")
    XCTAssertGreaterThan(try agent.policyVersion(), 0)
    assertThrows(.failedPrecondition, try agent.applyPolicyUpdate([1, 2, 3], signatureDER: [4]))
    try agent.close()

    // The P-256 base point: a valid public key that signed nothing.
    let key: [UInt8] = [0x04]
      + hex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
      + hex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
    var options = options("signed")
    options.policyUpdateKey = key
    let signed = try Agent(options: options)
    let version = try signed.policyVersion()
    // A well-formed signature (r = s = 1) that does not verify. tacet.h promises
    // PERMISSION_DENIED for a bad signature; the library answers DATA_LOSS (a C API gap, in the
    // report): this test pins what the binding passes on.
    let forged = assertThrows(.dataLoss,
                              try signed.applyPolicyUpdate(Array("policy".utf8),
                                                           signatureDER: [0x30, 6, 2, 1, 1, 2, 1, 1]))
    XCTAssertTrue(forged?.message.contains("signature") ?? false, "\(String(describing: forged))")
    // Bytes that are no DER signature at all.
    let garbage = assertThrows(.dataLoss, try signed.applyPolicyUpdate(Array("policy".utf8),
                                                                       signatureDER: [0x30, 0x00]))
    XCTAssertTrue(garbage?.message.contains("signature") ?? false)
    XCTAssertEqual(try signed.policyVersion(), version)
    XCTAssertFalse(try signed.controllerNoticePending())
    options.policyUpdateKey = [0x04, 1, 2]
    assertThrows(.invalidArgument, try Agent(options: options))
  }

  func testOversizedInputsAreErrors() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("contact", true)
    let huge = String(repeating: "a", count: 4 << 20) + "@example.org"
    assertThrows(.invalidArgument, try agent.setValue(huge, category: "contact",
                                                      field: "email_address"))
    assertThrows(.invalidArgument, try agent.export(toFile: directory + "/" +
                                                    String(repeating: "d", count: 5000)))
    assertThrows(.invalidArgument, try agent.consentHistory(subject: String(repeating: "s", count: 1000)))
    XCTAssertTrue(try agent.values(category: "contact", field: "email_address").isEmpty)
  }
}

private func hex(_ text: String) -> [UInt8] {
  var bytes: [UInt8] = []
  var index = text.startIndex
  while index < text.endIndex {
    let next = text.index(index, offsetBy: 2)
    bytes.append(UInt8(text[index..<next], radix: 16)!)
    index = next
  }
  return bytes
}
