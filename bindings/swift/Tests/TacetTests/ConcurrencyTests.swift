// One agent shared by several threads (Agent is Sendable): concurrent records and consent
// changes, and a close racing with calls, which either work or fail cleanly.
import Dispatch
import Foundation
import Tacet
import XCTest

final class ConcurrencyTests: TacetTestCase {
  func testThreadsShareOneAgent() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("voice", true)
    try agent.setPurpose("voice_features", .granted)
    let heard = Locked(0)
    try agent.addConsentListener { _ in heard.withLock { $0 += 1 } }
    let failures = Locked<[String]>([])
    DispatchQueue.concurrentPerform(iterations: 4) { worker in
      for i in 0..<25 {
        do {
          _ = try agent.record(Event(purpose: "voice_features",
                                     fields: [EventField("voice.voice_commands", "cmd \(worker) \(i)")],
                                     occurredUnixMs: 1_700_000_000_000 + Int64(i)))
          if i % 5 == 0 { try agent.setChannel("email", worker % 2 == 0 ? .granted : .denied) }
          _ = try agent.consent(of: .purpose("voice_features"))
        } catch {
          failures.withLock { $0.append("\(error)") }
        }
      }
    }
    XCTAssertEqual(failures.get, [])
    XCTAssertEqual(try agent.recordCounts().queued, 100)
    XCTAssertEqual(heard.get, 20)  // 4 workers x 5 channel decisions, each heard once
    try agent.verifyConsent()
  }

  func testACloseRacingWithCallsNeverCrashes() throws {
    let agent = try openAgent()
    let outcomes = Locked<[TacetError.Code]>([])
    DispatchQueue.concurrentPerform(iterations: 4) { worker in
      if worker == 0 {
        usleep(20_000)
        try? agent.close()
        return
      }
      for _ in 0..<50 {
        do {
          try agent.setPurpose("voice_features", .granted)
          outcomes.withLock { $0.append(.ok) }
        } catch let error as TacetError {
          outcomes.withLock { $0.append(error.code) }
        } catch {
          outcomes.withLock { $0.append(.internal) }
        }
      }
    }
    let codes = outcomes.get
    XCTAssertEqual(codes.count, 150)
    XCTAssertTrue(codes.allSatisfy { $0 == .ok || $0 == .failedPrecondition }, "\(Set(codes))")
    assertThrows(.failedPrecondition, try agent.consent(of: .purpose("voice_features")))
  }
}
