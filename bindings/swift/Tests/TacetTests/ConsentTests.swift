// Consent through the binding: round trips, persistence, history, receipts, listeners from
// other threads, a listener that throws, and calls refused inside a callback.
import Foundation
import Tacet
import XCTest

final class ConsentTests: TacetTestCase {
  func testDecisionsRoundTripAndSurviveReopen() throws {
    do {
      let agent = try openAgent()
      XCTAssertEqual(try agent.consent(of: .purpose("voice_features")), .unknown)
      XCTAssertTrue(try agent.purposesToAsk().contains("voice_features"))
      try agent.setPurpose("voice_features", .granted)
      try agent.setChannel("email", .denied)
      try agent.setCategoryProvided("voice", true)
      try agent.setLocationPrecision(.approximate)
      try agent.close()
    }
    let agent = try openAgent()
    XCTAssertEqual(try agent.consent(of: .purpose("voice_features")), .granted)
    XCTAssertEqual(try agent.consent(of: .channel("email")), .denied)
    XCTAssertEqual(try agent.consent(of: .category("voice")), .granted)
    XCTAssertEqual(try agent.consent(of: .location), .granted)
    XCTAssertEqual(try agent.locationPrecision(), .approximate)
    XCTAssertFalse(try agent.purposesToAsk().contains("voice_features"))

    let item = try XCTUnwrap(try agent.consentItems(.purposes).first { $0.id == "voice_features" })
    XCTAssertEqual(item.state, .granted)
    XCTAssertEqual(item.source, .user)
    XCTAssertFalse(item.displayName.isEmpty)
    XCTAssertTrue(try agent.consentItems(.channels).contains { $0.id == "email" && $0.state == .denied })

    let history = try agent.consentHistory()
    XCTAssertEqual(history.map(\.subject),
                   ["purpose:voice_features", "channel:email", "category:voice", "location"])
    XCTAssertEqual(history.map(\.seq), [1, 2, 3, 4])
    XCTAssertEqual(history[3].precision, .approximate)
    XCTAssertEqual(history[0].entryHash.count, 32)
    XCTAssertEqual(try agent.consentHistory(subject: "channel:email").map(\.state), [.denied])
    let receipt = try agent.consentReceipt(seq: 1)
    let json = try JSONSerialization.jsonObject(with: Data(receipt.utf8)) as? [String: Any]
    XCTAssertNotNil(json, receipt)
    XCTAssertTrue(receipt.contains("voice_features"), receipt)
    assertThrows(.notFound, try agent.consentReceipt(seq: 99))
    try agent.verifyConsent()
  }

  func testUnknownSubjectsAndBadIdentifiersAreNamed() throws {
    let agent = try openAgent()
    let unknown = assertThrows(.notFound, try agent.setPurpose("no_such_purpose", .granted))
    XCTAssertTrue(unknown?.message.contains("no_such_purpose") ?? false,
                  "\(String(describing: unknown))")
    assertThrows(.notFound, try agent.consent(of: .channel("carrier_pigeon")))
    assertThrows(.invalidArgument, try agent.setPurpose("", .granted))
    assertThrows(.invalidArgument, try agent.setPurpose(String(repeating: "p", count: 300), .granted))
    let nul = assertThrows(.invalidArgument, try agent.setPurpose("voice_features\0x", .granted))
    XCTAssertTrue(nul?.message.contains("purpose contains a NUL") ?? false)
    XCTAssertEqual(try agent.consent(of: .purpose("voice_features")), .unknown)
    XCTAssertTrue(try agent.consentHistory().isEmpty)
  }

  func testAListenerHearsAChangeMadeOnAnotherThread() throws {
    let agent = try openAgent()
    let seen = Locked<[(generation: UInt64, state: ConsentState, onMainThread: Bool)]>([])
    XCTAssertTrue(Thread.isMainThread)  // XCTest runs tests on the main thread
    let id: ConsentListenerID
    let weakWitness: Weak
    do {  // the witness lives only in the closure once this block ends
      let witness = Witness()
      weakWitness = Weak(witness)
      id = try agent.addConsentListener { [weak agent] generation in
        witness.touch()
        // Callback-safe: reading the new state from inside the listener.
        let state = try agent?.consent(of: .purpose("voice_features")) ?? .unknown
        seen.withLock { $0.append((generation, state, Thread.isMainThread)) }
      }
    }
    onAnotherThread { try? agent.setPurpose("voice_features", .granted) }
    var events = seen.get
    XCTAssertEqual(events.count, 1)
    XCTAssertEqual(events.first?.state, .granted)
    XCTAssertEqual(events.first?.onMainThread, false)
    try agent.setPurpose("voice_features", .denied)
    events = seen.get
    XCTAssertEqual(events.count, 2)
    XCTAssertEqual(events.last?.state, .denied)
    XCTAssertGreaterThan(events[1].generation, events[0].generation)

    XCTAssertNotNil(weakWitness.value)
    try agent.removeConsentListener(id)
    XCTAssertNil(weakWitness.value, "removing the listener did not release its closure")
    try agent.setPurpose("voice_features", .granted)
    XCTAssertEqual(seen.get.count, 2)
    assertThrows(.notFound, try agent.removeConsentListener(id))
  }

  func testAThrowingListenerNeverReachesCAndOthersStillHear() throws {
    struct AppBug: Error {}
    let agent = try openAgent()
    let caught = Locked<[String]>([])
    let heard = Locked(0)
    try agent.addConsentListener(onError: { error in
      caught.withLock { $0.append(String(describing: error)) }
    }) { _ in throw AppBug() }
    try agent.addConsentListener { _ in heard.withLock { $0 += 1 } }
    try agent.setPurpose("analytics", .granted)  // the change commits regardless
    try agent.setChannel("email", .denied)
    XCTAssertEqual(caught.get, ["AppBug()", "AppBug()"])
    XCTAssertEqual(heard.get, 2)
    XCTAssertEqual(try agent.consent(of: .purpose("analytics")), .granted)
  }

  func testWritingFromInsideAListenerIsRefusedNotDeadlocked() throws {
    let agent = try openAgent()
    let refused = Locked<TacetError?>(nil)
    try agent.addConsentListener { [weak agent] _ in
      do {
        try agent?.setChannel("email", .denied)
      } catch let error as TacetError {
        refused.withLock { $0 = error }
      }
    }
    try agent.setPurpose("analytics", .granted)
    XCTAssertEqual(refused.get?.code, .failedPrecondition)
    XCTAssertTrue(refused.get?.message.contains("callback") ?? false,
                  "\(String(describing: refused.get))")
    XCTAssertEqual(try agent.consent(of: .channel("email")), .unknown)
  }

  func testCloseReleasesListeners() throws {
    let agent = try openAgent()
    let weakWitness: Weak
    do {
      let witness = Witness()
      weakWitness = Weak(witness)
      try agent.addConsentListener { _ in witness.touch() }
    }
    XCTAssertNotNil(weakWitness.value)
    try agent.close()
    XCTAssertNil(weakWitness.value, "closing did not release the listener's closure")
  }

  func testFeaturesSayWhatIsMissing() throws {
    let agent = try openAgent()
    XCTAssertFalse(try agent.features().isEmpty)
    try agent.setCategoryProvided("voice", false)
    let needingVoice = try agent.features().filter { $0.missingCategories.contains("voice") }
    XCTAssertFalse(needingVoice.isEmpty)
    XCTAssertTrue(needingVoice.allSatisfy { $0.availability == .declined && !$0.reason.isEmpty },
                  "\(needingVoice)")
  }
}
