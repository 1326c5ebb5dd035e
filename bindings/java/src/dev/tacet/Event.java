package dev.tacet;

import java.util.List;

/** One event for {@link Agent#recordBatch}: what {@link Agent#record} takes for one event. */
public record Event(String purpose, List<EventField> fields, long occurredUnixMs) {
  public Event {
    fields = List.copyOf(fields);
  }
}
