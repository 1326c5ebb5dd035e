// Recording events that may leave the device, their counts, and sync.
internal import CTacet

/// One field of an event: `"<category>.<field>"` of the policy and its value's bytes.
public struct EventField: Sendable, Hashable {
  public var key: String
  public var value: [UInt8]
  public init(_ key: String, bytes: [UInt8]) {
    self.key = key
    self.value = bytes
  }
  public init(_ key: String, _ value: String) { self.init(key, bytes: Array(value.utf8)) }
}

/// An event for one purpose (1 ... 64 fields, each value at most 16384 bytes).
public struct Event: Sendable, Hashable {
  public var purpose: String
  public var fields: [EventField]
  public var occurredUnixMs: Int64
  public init(purpose: String, fields: [EventField], occurredUnixMs: Int64) {
    self.purpose = purpose
    self.fields = fields
    self.occurredUnixMs = occurredUnixMs
  }
}

/// What became of one recorded event.
public struct RecordOutcome: Sendable, Hashable {
  /// `.ok` when stored; otherwise what `record` would have thrown (`.permissionDenied`, ...).
  public var status: TacetError.Code
  /// The event's id when stored.
  public var eventID: Int64?
  /// Stored held: it waits for the user's answer (a grant releases it, a refusal deletes it).
  public var held: Bool
  public var stored: Bool { status == .ok }
}

/// The outbox as it is, and its running totals since the device was created.
public struct RecordCounts: Sendable, Hashable {
  public var queued: Int64
  public var held: Int64
  public var refused: Int64
  public var evicted: Int64
  public var purgedByConsent: Int64
  public var released: Int64
  public var erased: Int64
  /// Held or queued events deleted past their categories' retention.
  public var expired: Int64
  /// Stored events whose seal did not open: kept, never sent.
  public var quarantined: Int64
}

/// What one `syncNow` round did.
public struct SyncResult: Sendable, Hashable {
  public var batchesSent: Int64
  public var batchesAcknowledged: Int64
  public var eventsDelivered: Int64
  public var deletionsDelivered: Int64
  public var batchesRejected: Int64
  public var batchesPending: Int64
  public var peerAuthenticationFailures: Int64
  /// nil: nothing waiting.
  public var nextAttemptUnixMs: Int64?
}

extension Agent {
  /// Records one event (`tacet_record`). Stored, sealed at rest, only when the user's consent
  /// lets the purpose collect every category its fields belong to. With `holdIfUndecided`, an
  /// event whose only obstacle is an unanswered question is stored held.
  /// Throws `.permissionDenied` naming the purpose, the category and the reason (the refusal is
  /// counted); `.notFound` for a purpose or field the policy lacks; `.invalidArgument` for bad
  /// fields. Not from a callback.
  public func record(_ event: Event, holdIfUndecided: Bool = false) throws -> RecordOutcome {
    let arena = CArena()
    return try withExtendedLifetime(arena) {
      let fields = try cFields(event.fields, arena: arena, in: "record")
      var eventID: Int64 = 0
      var held: Int32 = 0
      try withCString(event.purpose, argument: "purpose", in: "record") { purpose in
        try check(tacet_record(handle, purpose, fields, event.fields.count, event.occurredUnixMs,
                               holdIfUndecided ? UInt32(TACET_RECORD_HOLD_IF_UNDECIDED) : 0,
                               &eventID, &held))
      }
      return RecordOutcome(status: .ok, eventID: eventID, held: held != 0)
    }
  }

  /// Records `events` (1 ... 10000) with one commit (`tacet_record_batch`): each gets its own
  /// outcome, in order; a refused event stores nothing of it while the others are stored. Throws
  /// only for an error of the call itself (then nothing of the batch is stored). Per-event
  /// messages are not kept: record a refused event alone for its message.
  public func recordBatch(_ events: [Event], holdIfUndecided: Bool = false) throws
    -> [RecordOutcome]
  {
    let fn = "recordBatch"
    let arena = CArena()
    return try withExtendedLifetime(arena) {
      let cEvents = arena.buffer(of: tacet_event.self, count: events.count)
      for (i, event) in events.enumerated() {
        (cEvents + i).initialize(to: tacet_event(
          purpose: try arena.cString(event.purpose, argument: "events[\(i)].purpose", in: fn),
          fields: try cFields(event.fields, arena: arena, in: fn),
          field_count: event.fields.count,
          occurred_unix_ms: event.occurredUnixMs))
      }
      let outcomes = arena.buffer(of: tacet_record_outcome.self, count: events.count)
      outcomes.initialize(repeating: tacet_record_outcome(), count: max(events.count, 1))
      try check(tacet_record_batch(handle, events.isEmpty ? nil : cEvents, events.count,
                                   holdIfUndecided ? UInt32(TACET_RECORD_HOLD_IF_UNDECIDED) : 0,
                                   outcomes))
      return (0..<events.count).map { i in
        let o = outcomes[i]
        let status = TacetError.Code(o.status)
        return RecordOutcome(status: status, eventID: status == .ok ? o.event_id : nil,
                             held: o.held != 0)
      }
    }
  }

  /// The outbox's counts (`tacet_record_counts2_get`).
  public func recordCounts() throws -> RecordCounts {
    var c = tacet_record_counts2()
    c.struct_size = UInt32(MemoryLayout<tacet_record_counts2>.size)
    try check(tacet_record_counts2_get(handle, &c))
    return RecordCounts(queued: c.queued, held: c.held, refused: c.refused, evicted: c.evicted,
                        purgedByConsent: c.purged_by_consent, released: c.released,
                        erased: c.erased, expired: c.expired, quarantined: c.quarantined)
  }

  /// One upload round now (`tacet_sync_now`): builds batches, sends what is due, waits for the
  /// answers (at most 30 x the timeout). Transport failures are counted in the result, not
  /// thrown. `.failedPrecondition` without sync, read-only or closed. Blocks: not on the main
  /// thread, not from a callback.
  public func syncNow() throws -> SyncResult {
    var r = tacet_sync_result()
    r.struct_size = UInt32(MemoryLayout<tacet_sync_result>.size)
    try check(tacet_sync_now(handle, &r))
    return SyncResult(batchesSent: r.batches_sent, batchesAcknowledged: r.batches_acknowledged,
                      eventsDelivered: r.events_delivered,
                      deletionsDelivered: r.deletions_delivered,
                      batchesRejected: r.batches_rejected, batchesPending: r.batches_pending,
                      peerAuthenticationFailures: r.peer_authentication_failures,
                      nextAttemptUnixMs: r.next_attempt_unix_ms == 0 ? nil : r.next_attempt_unix_ms)
  }
}

/// The C fields of an event, copied into `arena` (NULL for none: the C API then refuses it).
private func cFields(_ fields: [EventField], arena: CArena, in fn: String) throws
  -> UnsafePointer<tacet_event_field>?
{
  guard !fields.isEmpty else { return nil }
  let out = arena.buffer(of: tacet_event_field.self, count: fields.count)
  for (i, field) in fields.enumerated() {
    (out + i).initialize(to: tacet_event_field(
      key: try arena.cString(field.key, argument: "fields[\(i)].key", in: fn),
      value: arena.bytes(field.value), value_len: field.value.count))
  }
  return UnsafePointer(out)
}
