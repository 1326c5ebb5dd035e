package dev.tacet;

/**
 * What {@link Agent#recordBatch} did with one event (tacet_record_outcome): {@link Status#OK}
 * when stored, otherwise the status {@link Agent#record} would have thrown (the C API keeps no
 * per-event message: record the event alone for its reason).
 */
public record RecordOutcome(Status status, long eventId, boolean held) {
  /** True when the event was stored (queued or held). */
  public boolean stored() {
    return status == Status.OK;
  }
}
