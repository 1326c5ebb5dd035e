package dev.tacet;

/**
 * What {@link Agent#record} stored: the event's id and whether it is held (waiting for the user's
 * answer to a question not asked yet).
 */
public record RecordResult(long eventId, boolean held) {}
