package dev.tacet;

/** What an erasure or retention sweep deleted (tacet_erasure_result). */
public record ErasureResult(long records, long historyEntries) {}
