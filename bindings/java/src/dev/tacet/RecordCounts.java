package dev.tacet;

/**
 * The outbox as it is and its running totals since the device was created
 * (tacet_record_counts2): {@code expired} counts held or queued events deleted past their
 * categories' retention, {@code quarantined} stored events whose seal did not open (kept, never
 * sent).
 */
public record RecordCounts(long queued, long held, long refused, long evicted,
    long purgedByConsent, long released, long erased, long expired, long quarantined) {}
