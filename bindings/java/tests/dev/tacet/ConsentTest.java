package dev.tacet;

import static dev.tacet.TestSupport.assertStatus;
import static dev.tacet.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsentTest {
  @TempDir Path dir;

  @Test
  void decisionsRoundTripAndSurviveAReopen() {
    try (Agent agent = Agent.open(options(dir))) {
      assertEquals(ConsentState.UNKNOWN, agent.consent(SubjectKind.PURPOSE, "voice_features"));
      agent.setPurpose("voice_features", ConsentState.GRANTED, DecisionSource.USER);
      agent.setCategoryProvided("contact", true, DecisionSource.USER);
      agent.setLocationPrecision(LocationPrecision.APPROXIMATE, DecisionSource.USER);
      ConsentItem channel = agent.consentItems(SubjectKind.CHANNEL).get(0);
      agent.setChannel(channel.id(), ConsentState.DENIED, DecisionSource.USER);
    }
    try (Agent agent = Agent.open(options(dir))) {
      assertEquals(ConsentState.GRANTED, agent.consent(SubjectKind.PURPOSE, "voice_features"));
      assertEquals(ConsentState.GRANTED, agent.consent(SubjectKind.CATEGORY, "contact"));
      assertEquals(ConsentState.GRANTED, agent.consent(SubjectKind.LOCATION, null));
      assertEquals(LocationPrecision.APPROXIMATE, agent.locationPrecision());
      ConsentItem channel = agent.consentItems(SubjectKind.CHANNEL).get(0);
      assertEquals(ConsentState.DENIED, channel.state());
      ConsentItem analytics = agent.consentItems(SubjectKind.PURPOSE).stream()
          .filter(i -> i.id().equals("voice_features")).findFirst().orElseThrow();
      assertEquals(ConsentState.GRANTED, analytics.state());
      assertEquals(DecisionSource.USER, analytics.source());
      assertTrue(analytics.askable());
      assertTrue(!analytics.displayName().isEmpty() && !analytics.legalBasis().isEmpty());

      List<ConsentEntry> all = agent.consentHistory(null);
      assertEquals(4, all.size());
      List<ConsentEntry> mine = agent.consentHistory("purpose:voice_features");
      assertEquals(1, mine.size());
      ConsentEntry entry = mine.get(0);
      assertEquals("purpose:voice_features", entry.subject());
      assertEquals(ConsentState.GRANTED, entry.state());
      assertEquals("streaming_service", entry.policyId());
      assertEquals(32, entry.entryHash().length);
      String receipt = agent.consentReceipt(entry.seq());
      assertTrue(receipt.startsWith("{") && receipt.contains("voice_features"), receipt);
      agent.verifyConsent();
      assertStatus(Status.NOT_FOUND, () -> agent.consentReceipt(999));
    }
  }

  @Test
  void unknownSubjectsAndBadArgumentsAreErrors() {
    try (Agent agent = Agent.open(options(dir))) {
      TacetException e = assertStatus(Status.NOT_FOUND,
          () -> agent.setPurpose("telemetry", ConsentState.GRANTED, DecisionSource.USER));
      assertTrue(e.reason().contains("telemetry"), e.reason());
      assertStatus(Status.NOT_FOUND, () -> agent.consent(SubjectKind.PURPOSE, "telemetry"));
      assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.setPurpose(null, ConsentState.GRANTED, DecisionSource.USER));
      assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.setPurpose("analytics", null, DecisionSource.USER));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.consentItems(SubjectKind.LOCATION));
      e = assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.setPurpose("analy\0tics", ConsentState.GRANTED, DecisionSource.USER));
      assertTrue(e.reason().contains("NUL"), e.reason());
      e = assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.setPurpose("bad\uD800", ConsentState.GRANTED, DecisionSource.USER));
      assertTrue(e.reason().contains("surrogate"), e.reason());
      // Longer than any identifier: the C API's bound (256) and the shim's (4096).
      assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.setPurpose("a".repeat(300), ConsentState.GRANTED, DecisionSource.USER));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.setPurpose("a".repeat(10_000_000),
          ConsentState.GRANTED, DecisionSource.USER));
      // Nothing of it reached the history.
      assertEquals(0, agent.consentHistory(null).size());
    }
  }

  @Test
  void aListenerHearsEveryChangeOnTheChangingThreadUntilRemoved() throws Exception {
    try (Agent agent = Agent.open(options(dir))) {
      List<Long> generations = new CopyOnWriteArrayList<>();
      AtomicReference<Thread> ranOn = new AtomicReference<>();
      AtomicReference<ConsentState> seen = new AtomicReference<>();
      ConsentSubscription sub = agent.addConsentListener(g -> {
        generations.add(g);
        ranOn.set(Thread.currentThread());
        seen.set(agent.consent(SubjectKind.PURPOSE, "analytics")); // reads are allowed inside
      });
      Thread other = new Thread(
          () -> agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER));
      other.start();
      other.join();
      assertEquals(1, generations.size());
      assertEquals(other, ranOn.get());
      assertEquals(ConsentState.GRANTED, seen.get());
      agent.setPurpose("analytics", ConsentState.DENIED, DecisionSource.USER);
      assertEquals(2, generations.size());
      assertTrue(generations.get(1) > generations.get(0));
      assertEquals(ConsentState.DENIED, seen.get());
      sub.close();
      sub.close(); // idempotent
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      assertEquals(2, generations.size());
    }
  }

  @Test
  void aListenerThatThrowsIsLoggedAndTheChangeStands() {
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override public void publish(LogRecord r) {
        logged.add(r);
      }

      @Override public void flush() {}

      @Override public void close() {}
    };
    Logger log = Logger.getLogger("dev.tacet");
    log.addHandler(handler);
    log.setUseParentHandlers(false);
    try (Agent agent = Agent.open(options(dir))) {
      AtomicInteger second = new AtomicInteger();
      agent.addConsentListener(g -> {
        throw new IllegalStateException("the app's bug");
      });
      agent.addConsentListener(g -> {
        throw new StackOverflowError("an Error too");
      });
      agent.addConsentListener(g -> second.incrementAndGet());
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      assertEquals(ConsentState.GRANTED, agent.consent(SubjectKind.PURPOSE, "analytics"));
      assertEquals(1, second.get());
      assertEquals(2, logged.size());
      assertTrue(logged.get(0).getThrown() instanceof IllegalStateException);
    } finally {
      log.removeHandler(handler);
      log.setUseParentHandlers(true);
    }
  }

  @Test
  @SuppressWarnings("try") // close() from inside is the point
  void insideAListenerOnlyReadsWorkAndCloseIsRefused() {
    try (Agent agent = Agent.open(options(dir))) {
      AtomicReference<TacetException> recordError = new AtomicReference<>();
      AtomicReference<TacetException> closeError = new AtomicReference<>();
      agent.addConsentListener(g -> {
        try {
          agent.record("analytics", List.of(EventField.of("usage.interaction_events", "x")), 1,
              false);
        } catch (TacetException e) {
          recordError.set(e);
        }
        try {
          agent.close();
        } catch (TacetException e) {
          closeError.set(e);
        }
      });
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      assertNotNull(recordError.get());
      assertEquals(Status.FAILED_PRECONDITION, recordError.get().status());
      assertTrue(recordError.get().reason().contains("callback"), recordError.get().reason());
      assertNotNull(closeError.get());
      assertEquals(Status.FAILED_PRECONDITION, closeError.get().status());
      assertTrue(!agent.isClosed());
    }
  }

  private static WeakReference<ConsentListener> register(Agent agent, AtomicInteger calls) {
    ConsentListener l = g -> calls.incrementAndGet();
    agent.addConsentListener(l);
    return new WeakReference<>(l);
  }

  @Test
  void closingTheAgentReleasesItsListeners() throws InterruptedException {
    AtomicInteger calls = new AtomicInteger();
    WeakReference<ConsentListener> ref;
    try (Agent agent = Agent.open(options(dir))) {
      ref = register(agent, calls);
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      System.gc();
      assertNotNull(ref.get(), "held by the agent while registered");
    }
    assertEquals(1, calls.get());
    for (int i = 0; i < 100 && ref.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertEquals(null, ref.get(), "the JNI global reference was released at close");
  }
}
