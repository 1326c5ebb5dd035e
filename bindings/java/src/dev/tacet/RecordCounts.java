package dev.tacet;

/**
 * The outbox as it is and its running totals since the device was created (tacet_record_counts).
 */
public record RecordCounts(long queued, long held, long refused, long evicted,
    long purgedByConsent, long released, long erased) {}
