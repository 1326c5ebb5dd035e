// Review reproductions (s10-rbind): a handle whose last Swift reference goes away inside a Tacet
// callback. deinit calls tacet_*_free, which the C API refuses inside any callback (the thread's
// callback depth), silently: the handle, its slot or folder lock, and its closures leak.
import Foundation
import Tacet
import XCTest

/// What an app keeps: the session it is running, dropped when the agent ends it.
final class SessionHolder: @unchecked Sendable {
  // @unchecked: the test touches it from one thread at a time.
  var session: VoiceSession?
}

final class AgentHolder: @unchecked Sendable {
  var agent: Agent?
}

final class CaptureReviewTests: TacetTestCase {
  /// The idiomatic `onEnded: { [weak self] _ in self?.session = nil }`: the session's deinit runs
  /// inside its own on_ended callback, tacet_voice_session_free is refused, and the gate slot (4
  /// per gate) is never given back. After four mute/unmute cycles the microphone is denied
  /// for good (.tooManySessions) although the app holds no session.
  func testReviewASessionReleasedInsideItsOwnOnEndedIsFreed() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("voice", true)
    try agent.setPurpose("voice_features", .granted)
    try agent.setOSPermission(.microphone, .granted)
    let holder = SessionHolder()
    for cycle in 1...6 {
      do {
        holder.session = try agent.openVoiceSession(
          purpose: "voice_features", onEnded: { [weak holder] _ in holder?.session = nil }
        ) { _, _ in }
      } catch let denied as CaptureDenied {
        XCTFail("cycle \(cycle): \(denied) although the app holds no session: the sessions "
          + "released inside onEnded were never freed")
        return
      }
      try agent.setHardwareMuted(true)  // ends the session: onEnded drops the last reference
      XCTAssertNil(holder.session)
      try agent.setHardwareMuted(false)
    }
  }

  /// An agent whose last reference goes away inside another agent's callback (here a consent
  /// listener) is never freed: it keeps its folder's lock, so the device cannot be opened again
  /// in this process; and its logger/key-store box (PlatformBox) is released while the leaked C
  /// agent still holds it as the tables' context (a use after free at its next log line).
  func testReviewAnAgentReleasedInsideAnotherAgentsCallbackIsFreed() throws {
    let first = try openAgent("first")
    let holder = AgentHolder()
    var secondOptions = options("second")
    secondOptions.logger = { _, _ in }
    holder.agent = try Agent(options: secondOptions)
    try first.addConsentListener { [weak holder] _ in holder?.agent = nil }
    try first.setPurpose("analytics", .granted)  // the listener drops the second agent
    XCTAssertNil(holder.agent)
    do {
      _ = try Agent(options: options("second"))
    } catch let error as TacetError {
      XCTFail("the second device is still locked by the agent released in the listener: \(error)")
    }
  }
}
