package dev.tacet;

import java.nio.charset.StandardCharsets;

/**
 * One field of an event (tacet_event_field): a policy key "&lt;category&gt;.&lt;field&gt;" and a
 * value of any bytes (at most 16384). The value array is not copied: do not change it until the
 * record call returns.
 */
public record EventField(String key, byte[] value) {
  /** Throws {@link TacetException} (INVALID_ARGUMENT) for a null value. */
  public EventField {
    if (value == null) {
      throw new TacetException(Status.INVALID_ARGUMENT, "EventField " + key + ": value is null");
    }
  }

  /** A field whose value is {@code value}'s UTF-8 bytes. */
  public static EventField of(String key, String value) {
    return new EventField(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }
}
