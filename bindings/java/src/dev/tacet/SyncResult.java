package dev.tacet;

/**
 * One upload round's result (tacet_sync_result). Transport failures are counted here, not thrown.
 *
 * @param nextAttemptUnixMs 0 when nothing is waiting
 */
public record SyncResult(long batchesSent, long batchesAcknowledged, long eventsDelivered,
    long deletionsDelivered, long batchesRejected, long batchesPending,
    long peerAuthenticationFailures, long nextAttemptUnixMs) {}
