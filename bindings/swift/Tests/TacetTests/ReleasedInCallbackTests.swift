// A handle whose last Swift reference goes away inside a Tacet callback. The C API refuses every
// free inside a callback, and a deinit cannot report it: the handle, its gate slot or its folder
// lock, and its closures leaked (found by review, with these reproductions). deinit now hands the
// free to another thread, where it runs once the callback returns; the tests wait for it, at most
// a few seconds.
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

/// Retries `body` until it stops throwing, for at most `seconds`; the last error is rethrown.
func eventually<T>(seconds: Double = 5, _ body: () throws -> T) throws -> T {
  let deadline = Date().addingTimeInterval(seconds)
  while true {
    do {
      return try body()
    } catch {
      if Date() > deadline { throw error }
      Thread.sleep(forTimeInterval: 0.005)
    }
  }
}

final class ReleasedInCallbackTests: TacetTestCase {
  /// The idiomatic `onEnded: { [weak self] _ in self?.session = nil }`: the session's deinit runs
  /// inside its own on_ended callback. Its gate slot (4 per gate) must come back: without the
  /// deferred free, after four mute/unmute cycles the microphone was denied for good
  /// (.tooManySessions) although the app held no session.
  func testASessionReleasedInsideItsOwnOnEndedIsFreed() throws {
    let agent = try openAgent()
    try agent.setCategoryProvided("voice", true)
    try agent.setPurpose("voice_features", .granted)
    try agent.setOSPermission(.microphone, .granted)
    let holder = SessionHolder()
    for cycle in 1...8 {
      do {
        holder.session = try eventually {
          try agent.openVoiceSession(
            purpose: "voice_features", onEnded: { [weak holder] _ in holder?.session = nil }
          ) { _, _ in }
        }
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

  /// An agent whose last reference goes away inside another agent's callback (a consent
  /// listener) must be freed: it held its folder's lock (the device could not be opened again in
  /// this process), and its logger box was released while the C agent still used it.
  func testAnAgentReleasedInsideAnotherAgentsCallbackIsFreed() throws {
    let first = try openAgent("first")
    let holder = AgentHolder()
    var secondOptions = options("second")
    secondOptions.logger = { _, _ in }
    holder.agent = try Agent(options: secondOptions)
    try first.addConsentListener { [weak holder] _ in holder?.agent = nil }
    try first.setPurpose("analytics", .granted)  // the listener drops the second agent
    XCTAssertNil(holder.agent)
    do {
      _ = try eventually { try Agent(options: options("second")) }
    } catch let error as TacetError {
      XCTFail("the second device is still locked by the agent released in the listener: \(error)")
    }
  }
}
