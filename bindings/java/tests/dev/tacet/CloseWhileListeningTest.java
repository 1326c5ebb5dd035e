package dev.tacet;

import static dev.tacet.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capture session's lock against the C gate's wait (found by review, with this
 * reproduction: close() held the write lock across a free that waits for a delivery whose
 * listener needed the read lock).
 */
class CloseWhileListeningTest {
  @TempDir Path dir;

  /**
   * CaptureSession.close() takes the session's write lock and then, inside
   * tacet_voice_session_free, waits for a delivery in progress on another thread to return. If
   * that delivery's listener calls one of the session methods documented as callback-safe
   * (end(), endReason(), delivered()), it waits for the session's read lock: neither thread can
   * move. A UI thread closing a session while the audio thread's listener ends it after N frames
   * is an ordinary app.
   */
  @Test
  void closeOnAnotherThreadWhileTheListenerEndsItsSessionDoesNotDeadlock() throws Exception {
    Agent agent = Agent.open(options(dir));
    CaptureTest.allowVoice(agent);
    CountDownLatch inside = new CountDownLatch(1);
    AtomicReference<CaptureSession> self = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CaptureSession session = agent.openVoiceSession("voice_features", (samples, ns) -> {
      inside.countDown();
      try {
        Thread.sleep(300); // the UI thread's close() is now inside tacet_voice_session_free
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      self.get().end(); // "Inside the session's own listener end() and the state queries work"
    });
    self.set(session);
    Thread audio = new Thread(() -> {
      try {
        agent.pushVoiceFrame(CaptureTest.frame(1), 1);
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "audio");
    Thread ui = new Thread(() -> {
      try {
        inside.await();
        session.close();
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "ui");
    audio.setDaemon(true);
    ui.setDaemon(true);
    audio.start();
    ui.start();
    audio.join(TimeUnit.SECONDS.toMillis(5));
    ui.join(TimeUnit.SECONDS.toMillis(5));
    boolean stuck = audio.isAlive() || ui.isAlive();
    if (!stuck) agent.close(); // a stuck audio thread holds the agent's read lock forever
    assertFalse(stuck, "deadlock: the audio thread waits for the session's read lock inside its"
        + " listener while the UI thread holds the write lock in tacet_voice_session_free,"
        + " waiting for that listener to return");
    assertNull(failure.get());
  }
}
