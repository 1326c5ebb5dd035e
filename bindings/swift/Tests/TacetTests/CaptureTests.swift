// The capture gates through the binding: a refused session says why, a granted one receives
// frames, and a revocation on another thread ends it; location fixes arrive coarsened.
import Foundation
import Tacet
import XCTest

final class CaptureTests: TacetTestCase {
  func testAVoiceSessionIsGatedAndEndedByARevocationOnAnotherThread() throws {
    let agent = try openAgent()
    do {
      _ = try agent.openVoiceSession(purpose: "voice_features") { _, _ in }
      XCTFail("a session opened without consent")
    } catch let denied as CaptureDenied {
      XCTAssertEqual(denied.reason, .consentUnknown)  // never asked: ask
      XCTAssertEqual(denied.error.code, .permissionDenied)
    }
    try agent.setCategoryProvided("voice", true)
    XCTAssertEqual(try agent.voiceCheck(purpose: "voice_features"), .consentUnknown)
    try agent.setPurpose("voice_features", .granted)
    try agent.setOSPermission(.microphone, .granted)
    XCTAssertEqual(try agent.voiceCheck(purpose: "voice_features"), DenialReason.none)

    let frames = Locked<[Int16]>([])
    let ended = Locked<[EndReason]>([])
    var session: VoiceSession?
    let weakWitness: Weak
    do {  // the witness lives only in the closure once this block ends
      let witness = Witness()
      weakWitness = Weak(witness)
      session = try agent.openVoiceSession(
        purpose: "voice_features", onEnded: { reason in ended.withLock { $0.append(reason) } }
      ) { samples, _ in
        witness.touch()
        frames.withLock { $0.append(samples.first ?? -1) }
      }
    }
    let frame = [Int16](repeating: 7, count: 320)  // 16 kHz mono, 20 ms
    try agent.pushVoiceFrame(frame, captureMonotonicNs: 1)
    assertThrows(.invalidArgument, try agent.pushVoiceFrame([1, 2, 3], captureMonotonicNs: 2))
    XCTAssertEqual(frames.get, [7])
    XCTAssertEqual(session?.framesDelivered, 1)
    XCTAssertEqual(session?.endReason, EndReason.none)

    onAnotherThread { try? agent.setPurpose("voice_features", .denied) }
    XCTAssertEqual(ended.get, [.consentWithdrawn])
    XCTAssertEqual(session?.endReason, .consentWithdrawn)
    try agent.pushVoiceFrame(frame, captureMonotonicNs: 3)
    XCTAssertEqual(frames.get, [7], "a frame reached a session after the revocation")
    XCTAssertNotNil(weakWitness.value)
    session = nil
    XCTAssertNil(weakWitness.value, "freeing the session did not release its closures")
  }

  func testLocationFixesArriveCoarsened() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("location", true)
    try agent.setPurpose("location_features", .granted)
    try agent.setLocationPrecision(.approximate)
    try agent.setOSPermission(.location, .granted, precision: .precise)
    let fixes = Locked<[(LocationFix, LocationPrecision)]>([])
    let session = try agent.openLocationSession(purpose: "location_features",
                                                requested: .precise) { fix, precision in
      fixes.withLock { $0.append((fix, precision)) }
    }
    let fix = LocationFix(latitudeDegrees: 52.520008, longitudeDegrees: 13.404954,
                          accuracyMeters: 5, unixMs: 1_700_000_000_000)
    try agent.pushLocationFix(fix)
    XCTAssertEqual(fixes.get.count, 1)
    XCTAssertEqual(fixes.get.first?.1, .approximate)
    XCTAssertNotEqual(fixes.get.first?.0.latitudeDegrees, fix.latitudeDegrees)
    var bad = fix
    bad.latitudeDegrees = .nan
    assertThrows(.invalidArgument, try agent.pushLocationFix(bad))
    try session.end()
    XCTAssertEqual(session.endReason, .completedByCaller)
    try agent.close()
  }

  func testCloseEndsSessions() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("voice", true)
    try agent.setPurpose("voice_features", .granted)
    try agent.setOSPermission(.microphone, .granted)
    let ended = Locked<[EndReason]>([])
    let session = try agent.openVoiceSession(
      purpose: "voice_features", onEnded: { reason in ended.withLock { $0.append(reason) } }
    ) { _, _ in }
    try agent.close()
    XCTAssertEqual(ended.get, [.agentClosed])
    XCTAssertEqual(session.endReason, .agentClosed)
  }
}
