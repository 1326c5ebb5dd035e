package dev.tacet;

import static dev.tacet.TestSupport.assertStatus;
import static dev.tacet.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordTest {
  @TempDir Path dir;

  static final List<EventField> VOICE = List.of(EventField.of("voice.voice_commands", "play jazz"));
  static final List<EventField> USAGE = List.of(EventField.of("usage.interaction_events", "tap"),
      EventField.of("usage.device_information", "phone"));

  @Test
  void aRefusedRecordNamesItsReasonAndConsentLetsItThrough() {
    try (Agent agent = Agent.open(options(dir))) {
      TacetException e = assertStatus(Status.PERMISSION_DENIED,
          () -> agent.record("voice_features", VOICE, 1_700_000_000_000L, false));
      assertTrue(e.reason().startsWith("tacet_record: "), e.reason());
      assertTrue(e.reason().contains("voice_features") && e.reason().contains("category 'voice'"),
          e.reason());
      agent.setCategoryProvided("voice", true, DecisionSource.USER);
      agent.setPurpose("voice_features", ConsentState.GRANTED, DecisionSource.USER);
      RecordResult r = agent.record("voice_features", VOICE, 1_700_000_000_000L, false);
      assertTrue(r.eventId() > 0);
      assertFalse(r.held());
      RecordCounts c = agent.recordCounts();
      assertEquals(1, c.queued());
      assertEquals(1, c.refused());
      // A revocation purges what it no longer allows.
      agent.setPurpose("voice_features", ConsentState.DENIED, DecisionSource.USER);
      c = agent.recordCounts();
      assertEquals(0, c.queued());
      assertEquals(1, c.purgedByConsent());
    }
  }

  @Test
  void anUndecidedEventIsHeldUntilTheUserAnswers() {
    try (Agent agent = Agent.open(options(dir))) {
      RecordResult r = agent.record("voice_features", VOICE, 1_700_000_000_000L, true);
      assertTrue(r.held());
      assertEquals(1, agent.recordCounts().held());
      agent.setCategoryProvided("voice", true, DecisionSource.USER);
      agent.setPurpose("voice_features", ConsentState.GRANTED, DecisionSource.USER);
      RecordCounts c = agent.recordCounts();
      assertEquals(0, c.held());
      assertEquals(1, c.queued());
      assertEquals(1, c.released());
    }
  }

  @Test
  void aBatchGivesEachEventItsOutcome() {
    try (Agent agent = Agent.open(options(dir))) {
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      List<RecordOutcome> out = agent.recordBatch(List.of(
          new Event("analytics", USAGE, 1),
          new Event("voice_features", VOICE, 2),
          new Event("analytics", List.of(EventField.of("usage.heartbeat", "x")), 3),
          new Event("analytics", USAGE, 4)), false);
      assertEquals(4, out.size());
      assertTrue(out.get(0).stored() && out.get(0).eventId() > 0);
      assertEquals(Status.PERMISSION_DENIED, out.get(1).status());
      assertEquals(Status.NOT_FOUND, out.get(2).status());
      assertTrue(out.get(3).stored());
      assertEquals(2, agent.recordCounts().queued());
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.recordBatch(List.of(), false));
    }
  }

  @Test
  void badEventsAreRefusedNamingWhatIsWrong() {
    try (Agent agent = Agent.open(options(dir))) {
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      assertStatus(Status.NOT_FOUND, () -> agent.record("telemetry", USAGE, 0, false));
      assertStatus(Status.NOT_FOUND, () -> agent.record("analytics",
          List.of(EventField.of("usage.heartbeat", "x")), 0, false));
      TacetException e = assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.record("analytics", List.of(), 0, false));
      assertTrue(e.reason().contains("field_count is 0"), e.reason());
      List<EventField> many = new ArrayList<>();
      for (int i = 0; i < 65; i++) many.add(EventField.of("usage.interaction_events", "t" + i));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.record("analytics", many, 0, false));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.record("analytics",
          List.of(new EventField("usage.interaction_events", new byte[16385])), 0, false));
      e = assertStatus(Status.INVALID_ARGUMENT, () -> agent.record("analytics",
          List.of(new EventField(null, new byte[1])), 0, false));
      assertTrue(e.reason().contains("fields[0].key"), e.reason());
      assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.record("analytics", List.of(EventField.of("usage.x", null)), 0, false));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.record("analytics", null, 0, false));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.record(null, USAGE, 0, false));
      RecordCounts c = agent.recordCounts();
      assertEquals(0, c.queued());
      assertEquals(2, c.refused()); // the two the recorder decided on
      // A text field refuses bytes that are not UTF-8, naming the field.
      byte[] binary = {(byte) 0xff, (byte) 0xfe};
      e = assertStatus(Status.INVALID_ARGUMENT, () -> agent.record("analytics",
          List.of(new EventField("usage.interaction_events", binary)), 0, false));
      assertTrue(e.reason().contains("usage.interaction_events"), e.reason());
      // The largest value the field allows is stored (the event's own limit is 16384 bytes).
      agent.record("analytics", List.of(EventField.of("usage.interaction_events",
          "x".repeat(4096))), 0, false);
      assertEquals(1, agent.recordCounts().queued());
    }
  }
}
