// Recording events and sync through the binding: refusals that name their reason, holding,
// batches with one outcome per event, malformed input, and a sync round that cannot connect.
import Foundation
import Tacet
import XCTest

final class RecordingTests: TacetTestCase {
  let voice = Event(purpose: "voice_features",
                    fields: [EventField("voice.voice_commands", "play jazz")],
                    occurredUnixMs: 1_700_000_000_000)

  func allowVoice(_ agent: Agent) throws {
    try agent.setCategoryProvided("voice", true)
    try agent.setPurpose("voice_features", .granted)
  }

  func testARefusedRecordNamesItsReasonAndIsCounted() throws {
    let agent = try openAgent()
    let refused = assertThrows(.permissionDenied, try agent.record(voice))
    XCTAssertTrue(refused?.message.contains("category 'voice'") ?? false,
                  "\(String(describing: refused))")
    try allowVoice(agent)
    let outcome = try agent.record(voice)
    XCTAssertTrue(outcome.stored)
    XCTAssertGreaterThan(outcome.eventID ?? 0, 0)
    XCTAssertFalse(outcome.held)
    let counts = try agent.recordCounts()
    XCTAssertEqual(counts.queued, 1)
    XCTAssertEqual(counts.refused, 1)
    try agent.setPurpose("voice_features", .denied)  // a revocation purges the queue
    XCTAssertEqual(try agent.recordCounts().queued, 0)
    XCTAssertEqual(try agent.recordCounts().purgedByConsent, 1)
  }

  func testHeldUntilTheUserAnswers() throws {
    let agent = try openAgent()
    let outcome = try agent.record(voice, holdIfUndecided: true)
    XCTAssertTrue(outcome.held)
    XCTAssertEqual(try agent.recordCounts().held, 1)
    try allowVoice(agent)
    let counts = try agent.recordCounts()
    XCTAssertEqual(counts.held, 0)
    XCTAssertEqual(counts.released, 1)
    XCTAssertEqual(counts.queued, 1)
  }

  func testABatchGivesEachEventItsOwnOutcome() throws {
    let agent = try openAgent()
    let held = try agent.recordBatch([voice], holdIfUndecided: true)  // voice never asked
    XCTAssertEqual(held.map(\.status), [.ok])
    XCTAssertEqual(held.first?.held, true)
    try allowVoice(agent)
    let unknown = Event(purpose: "no_such_purpose", fields: voice.fields, occurredUnixMs: 1)
    let advertising = Event(purpose: "advertising",  // denied by default
                            fields: [EventField("usage.interaction_events", "tap")],
                            occurredUnixMs: 1_700_000_000_000)
    let outcomes = try agent.recordBatch([voice, unknown, advertising, voice])
    XCTAssertEqual(outcomes.map(\.status), [.ok, .notFound, .permissionDenied, .ok])
    XCTAssertEqual(outcomes.map(\.held), [false, false, false, false])
    XCTAssertNotNil(outcomes[0].eventID)
    XCTAssertNil(outcomes[1].eventID)
    XCTAssertNil(outcomes[2].eventID)
    XCTAssertNotEqual(outcomes[0].eventID, outcomes[3].eventID)
    let counts = try agent.recordCounts()
    XCTAssertEqual(counts.queued, 3)  // the released one and two of the batch
    XCTAssertEqual(counts.released, 1)
    XCTAssertEqual(counts.refused, 2)  // the unknown purpose and the denied one
  }

  func testMalformedEventsAreRefusedNamingWhat() throws {
    let agent = try openAgent()
    try allowVoice(agent)
    var event = voice
    event.fields = []
    let none = assertThrows(.invalidArgument, try agent.record(event))
    XCTAssertTrue(none?.message.contains("field") ?? false, "\(String(describing: none))")
    event.fields = Array(repeating: voice.fields[0], count: 65)
    assertThrows(.invalidArgument, try agent.record(event))
    event.fields = [EventField("voice.voice_commands", bytes: [UInt8](repeating: 65, count: 16385))]
    assertThrows(.invalidArgument, try agent.record(event))
    event.fields = [EventField("voice.voice_commands\0x", "a")]
    let nul = assertThrows(.invalidArgument, try agent.record(event))
    XCTAssertTrue(nul?.message.contains("fields[0].key contains a NUL") ?? false)
    event.fields = [EventField("no-dot", "a")]
    assertThrows(.invalidArgument, try agent.record(event))
    // A value crosses as bytes with its length; the field decides what it accepts.
    event.fields = [EventField("voice.voice_commands", bytes: [0x70, 0, 0x71])]
    let control = assertThrows(.invalidArgument, try agent.record(event))
    XCTAssertTrue(control?.message.contains("control character") ?? false)
    event.fields = [EventField("voice.voice_commands", "joue «Für Elise» ♫")]
    XCTAssertTrue(try agent.record(event).stored)
    assertThrows(.invalidArgument, try agent.recordBatch([]))
    assertThrows(.invalidArgument, try agent.recordBatch(Array(repeating: voice, count: 10_001)))
    XCTAssertEqual(try agent.recordCounts().queued, 1)
  }

  func testSyncNowCountsAnAttemptThatCannotConnect() throws {
    let unsynced = try openAgent("plain")
    let error = assertThrows(.failedPrecondition, try unsynced.syncNow())
    XCTAssertTrue(error?.message.contains("sync is not configured") ?? false)

    var options = options()
    var sync = SyncConfiguration(url: "https://127.0.0.1:1/gateway",  // nothing listens there
                                 keyConfiguration: testKeyConfiguration,
                                 spkiSHA256: [UInt8](repeating: 1, count: 32))
    sync.timeoutMilliseconds = 2000
    options.sync = sync
    let agent = try Agent(options: options)
    try allowVoice(agent)
    _ = try agent.record(voice)
    let result = try agent.syncNow()
    XCTAssertEqual(result.batchesSent, 1)
    XCTAssertEqual(result.batchesAcknowledged, 0)
    XCTAssertEqual(result.eventsDelivered, 0)
    XCTAssertEqual(result.batchesPending, 1)
    XCTAssertNotNil(result.nextAttemptUnixMs)
    XCTAssertEqual(try agent.recordCounts().queued, 1)  // kept until acknowledged
  }
}
