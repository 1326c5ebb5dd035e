package dev.tacet;

import static dev.tacet.TestSupport.assertStatus;
import static dev.tacet.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureTest {
  @TempDir Path dir;

  /** Records what a voice session hears. */
  static final class Heard implements VoiceListener {
    final List<short[]> frames = new CopyOnWriteArrayList<>();
    final List<Thread> threads = new CopyOnWriteArrayList<>();
    final List<EndReason> ended = new CopyOnWriteArrayList<>();

    @Override public void onFrame(short[] samples, long captureMonotonicNs) {
      frames.add(samples);
      threads.add(Thread.currentThread());
    }

    @Override public void onEnded(EndReason reason) {
      ended.add(reason);
    }
  }

  static short[] frame(int seed) {
    short[] f = new short[320]; // 16 kHz mono 20 ms, the default format
    for (int i = 0; i < f.length; i++) f[i] = (short) (seed * 1000 + i);
    return f;
  }

  static void allowVoice(Agent agent) {
    agent.setCategoryProvided("voice", true, DecisionSource.USER);
    agent.setPurpose("voice_features", ConsentState.GRANTED, DecisionSource.USER);
    agent.setOsPermission(OsPermission.MICROPHONE, PermissionState.GRANTED,
        LocationPrecision.NONE);
  }

  @Test
  void aVoiceSessionIsDeniedWithItsReasonUntilTheUserAllowsIt() {
    try (Agent agent = Agent.open(options(dir))) {
      assertEquals(DenialReason.CONSENT_UNKNOWN, agent.voiceCheck("voice_features"));
      CaptureDeniedException e = assertThrows(CaptureDeniedException.class,
          () -> agent.openVoiceSession("voice_features", new Heard()));
      assertEquals(Status.PERMISSION_DENIED, e.status());
      assertEquals(DenialReason.CONSENT_UNKNOWN, e.denialReason());
      assertTrue(e.reason().startsWith("tacet_voice_session_open"), e.reason());
      agent.setCategoryProvided("voice", false, DecisionSource.USER);
      assertEquals(DenialReason.VOICE_DATA_NOT_PROVIDED, assertThrows(
          CaptureDeniedException.class,
          () -> agent.openVoiceSession("voice_features", new Heard())).denialReason());
      allowVoice(agent);
      assertEquals(DenialReason.NONE, agent.voiceCheck("voice_features"));
      // A purpose the policy lacks, or one that may not use voice data, is the policy's denial.
      assertEquals(DenialReason.PURPOSE_NOT_ALLOWED_BY_POLICY, agent.voiceCheck("no_such_purpose"));
      assertEquals(DenialReason.PURPOSE_NOT_ALLOWED_BY_POLICY, agent.voiceCheck("analytics"));
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.voiceCheck(null));
    }
  }

  @Test
  @SuppressWarnings("try") // closing twice inside is the point
  void framesPushedOnAnotherThreadArriveThereUntilTheUserRevokes() throws Exception {
    try (Agent agent = Agent.open(options(dir))) {
      allowVoice(agent);
      Heard heard = new Heard();
      try (CaptureSession session = agent.openVoiceSession("voice_features", heard)) {
        assertTrue(session.isVoice());
        Thread audio = new Thread(() -> {
          for (int i = 0; i < 3; i++) agent.pushVoiceFrame(frame(i), 1000L * i);
        });
        audio.start();
        audio.join();
        assertEquals(3, heard.frames.size());
        assertArrayEquals(frame(2), heard.frames.get(2));
        assertEquals(audio, heard.threads.get(0));
        assertEquals(EndReason.NONE, session.endReason());
        agent.setPurpose("voice_features", ConsentState.DENIED, DecisionSource.USER);
        assertEquals(List.of(EndReason.CONSENT_WITHDRAWN), heard.ended);
        agent.pushVoiceFrame(frame(9), 9000L);
        assertEquals(3, heard.frames.size(), "no frame after the revocation");
        assertEquals(EndReason.CONSENT_WITHDRAWN, session.endReason());
        assertEquals(3, session.delivered());
        session.close();
        session.close(); // idempotent
        assertStatus(Status.FAILED_PRECONDITION, session::endReason);
        assertStatus(Status.FAILED_PRECONDITION, session::end);
      }
      TacetException e = assertStatus(Status.INVALID_ARGUMENT,
          () -> agent.pushVoiceFrame(new short[7], 0));
      assertTrue(e.reason().contains("320"), e.reason());
      assertStatus(Status.INVALID_ARGUMENT, () -> agent.pushVoiceFrame(null, 0));
    }
  }

  @Test
  @SuppressWarnings("try") // closing from inside is the point
  void insideAFrameTheSessionCanEndButNotClose() {
    try (Agent agent = Agent.open(options(dir))) {
      allowVoice(agent);
      AtomicReference<CaptureSession> self = new AtomicReference<>();
      AtomicReference<Throwable> closeError = new AtomicReference<>();
      AtomicInteger frames = new AtomicInteger();
      try (CaptureSession session = agent.openVoiceSession("voice_features", (samples, ns) -> {
        frames.incrementAndGet();
        try {
          self.get().close();
        } catch (TacetException e) {
          closeError.set(e);
        }
        self.get().end(); // callback-safe: this frame is the last
      })) {
        self.set(session);
        agent.pushVoiceFrame(frame(1), 1);
        agent.pushVoiceFrame(frame(2), 2);
        assertEquals(1, frames.get());
        assertInstanceOf(TacetException.class, closeError.get());
        assertEquals(Status.FAILED_PRECONDITION, ((TacetException) closeError.get()).status());
        assertEquals(EndReason.COMPLETED_BY_CALLER, session.endReason());
      }
    }
  }

  @Test
  void aListenerThatThrowsKeepsGettingFramesAndMuteErrorsAndCloseEndSessions() {
    CaptureSession outlives;
    Heard closed = new Heard();
    try (Agent agent = Agent.open(options(dir))) {
      allowVoice(agent);
      AtomicInteger calls = new AtomicInteger();
      try (CaptureSession throwing = agent.openVoiceSession("voice_features", (s, ns) -> {
        calls.incrementAndGet();
        throw new IllegalStateException("the app's bug");
      })) {
        agent.pushVoiceFrame(frame(1), 1);
        agent.pushVoiceFrame(frame(2), 2);
        assertEquals(2, calls.get());
        assertEquals(EndReason.NONE, throwing.endReason());
      }
      Heard muted = new Heard();
      try (CaptureSession s = agent.openVoiceSession("voice_features", muted)) {
        agent.setHardwareMuted(true);
        assertEquals(List.of(EndReason.HARDWARE_MUTED), muted.ended);
        assertEquals(EndReason.HARDWARE_MUTED, s.endReason());
        assertEquals(DenialReason.HARDWARE_MUTED, assertThrows(CaptureDeniedException.class,
            () -> agent.openVoiceSession("voice_features", new Heard())).denialReason());
        agent.setHardwareMuted(false);
      }
      Heard broken = new Heard();
      try (CaptureSession s = agent.openVoiceSession("voice_features", broken)) {
        agent.reportMicrophoneError();
        assertEquals(List.of(EndReason.DEVICE_ERROR), broken.ended);
        assertEquals(EndReason.DEVICE_ERROR, s.endReason());
      }
      outlives = agent.openVoiceSession("voice_features", closed);
    }
    // The agent's close ended it; the session is still the caller's to close.
    assertEquals(List.of(EndReason.AGENT_CLOSED), closed.ended);
    assertEquals(EndReason.AGENT_CLOSED, outlives.endReason());
    outlives.close();
  }

  @Test
  void aLocationSessionGetsFixesNoMorePreciseThanAllowed() {
    try (Agent agent = Agent.open(options(dir))) {
      agent.setCategoryProvided("location", true, DecisionSource.USER);
      agent.setPurpose("location_features", ConsentState.GRANTED, DecisionSource.USER);
      agent.setLocationPrecision(LocationPrecision.APPROXIMATE, DecisionSource.USER);
      agent.setOsPermission(OsPermission.LOCATION, PermissionState.GRANTED,
          LocationPrecision.PRECISE);
      LocationCheck check = agent.locationCheck("location_features", LocationPrecision.PRECISE);
      assertEquals(DenialReason.NONE, check.denial());
      assertEquals(LocationPrecision.APPROXIMATE, check.effectivePrecision());
      List<LocationFix> fixes = new CopyOnWriteArrayList<>();
      List<LocationPrecision> precisions = new CopyOnWriteArrayList<>();
      List<EndReason> ended = new CopyOnWriteArrayList<>();
      try (CaptureSession session = agent.openLocationSession("location_features",
          LocationPrecision.PRECISE, new LocationListener() {
            @Override public void onFix(LocationFix fix, LocationPrecision precision) {
              fixes.add(fix);
              precisions.add(precision);
            }

            @Override public void onEnded(EndReason reason) {
              ended.add(reason);
            }
          })) {
        LocationFix precise = new LocationFix(52.520008, 13.404954, 5.0, 1_700_000_000_000L);
        agent.pushLocationFix(precise);
        assertEquals(1, fixes.size());
        assertEquals(LocationPrecision.APPROXIMATE, precisions.get(0));
        assertNotEquals(precise.latitudeDeg(), fixes.get(0).latitudeDeg(), "coarsened");
        assertTrue(Math.abs(precise.latitudeDeg() - fixes.get(0).latitudeDeg()) < 1.0);
        assertStatus(Status.INVALID_ARGUMENT,
            () -> agent.pushLocationFix(new LocationFix(91, 0, 1, 0)));
        assertStatus(Status.INVALID_ARGUMENT,
            () -> agent.pushLocationFix(new LocationFix(Double.NaN, 0, 1, 0)));
        agent.setLocationPrecision(LocationPrecision.NONE, DecisionSource.USER);
        assertEquals(List.of(EndReason.CONSENT_WITHDRAWN), ended);
        agent.pushLocationFix(precise);
        assertEquals(1, fixes.size());
        assertTrue(!session.isVoice());
        assertEquals(1, session.delivered());
      }
      assertEquals(DenialReason.NO_CONSENT, assertThrows(CaptureDeniedException.class,
          () -> agent.openLocationSession("location_features", LocationPrecision.APPROXIMATE,
              (f, p) -> {})).denialReason());
    }
  }
}
