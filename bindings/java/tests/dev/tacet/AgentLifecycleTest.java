package dev.tacet;

import static dev.tacet.TestSupport.assertStatus;
import static dev.tacet.TestSupport.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentLifecycleTest {
  @TempDir Path dir;

  @Test
  void opensTheDeviceAndReadsThePolicy() {
    try (Agent agent = Agent.open(options(dir))) {
      assertEquals("streaming_service", agent.policyId());
      assertTrue(agent.policyVersion() >= 1);
      assertFalse(agent.isClosed());
    }
    assertTrue(Files.exists(dir.resolve("device/tacet.db")));
    assertTrue(Agent.libraryVersion().matches("\\d+\\.\\d+\\.\\d+"));
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseIsAnError() {
    Agent agent = Agent.open(options(dir));
    agent.close();
    agent.close();
    assertTrue(agent.isClosed());
    TacetException e = assertStatus(Status.FAILED_PRECONDITION,
        () -> agent.consent(SubjectKind.PURPOSE, "analytics"));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertStatus(Status.FAILED_PRECONDITION,
        () -> agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER));
    assertStatus(Status.FAILED_PRECONDITION, agent::recordCounts);
    assertStatus(Status.FAILED_PRECONDITION, () -> agent.addConsentListener(g -> {}));
  }

  @Test
  void readOnlyRefusesWritesAndCreateFalseRefusesAMissingDevice() {
    assertStatus(Status.NOT_FOUND, () -> Agent.open(options(dir).create(false)));
    try (Agent agent = Agent.open(options(dir))) {
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
    }
    try (Agent agent = Agent.open(options(dir).readOnly(true))) {
      assertEquals(ConsentState.GRANTED, agent.consent(SubjectKind.PURPOSE, "analytics"));
      assertStatus(Status.FAILED_PRECONDITION,
          () -> agent.setPurpose("analytics", ConsentState.DENIED, DecisionSource.USER));
    }
  }

  @Test
  void aDataDirThatIsAFileIsRefusedNamingIt() throws IOException {
    Path file = Files.writeString(dir.resolve("device"), "not a folder");
    TacetException e = assertStatus(Status.FAILED_PRECONDITION, () -> Agent.open(options(dir)));
    assertTrue(e.reason().contains(file.toString()), e.reason());
    assertTrue(e.reason().startsWith("tacet_agent_open"), e.reason());
  }

  @Test
  void aSecondAgentOnTheSameFolderIsUnavailable() {
    try (Agent first = Agent.open(options(dir))) {
      TacetException e = assertStatus(Status.UNAVAILABLE,
          () -> Agent.open(options(dir).lockTimeoutMs(0)));
      assertFalse(e.reason().isEmpty());
      first.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER); // still works
    }
    Agent.open(options(dir)).close(); // the lock went with the first agent
  }

  @Test
  void badOptionsAreRefusedNamingTheSetter() {
    TacetException e = assertStatus(Status.INVALID_ARGUMENT,
        () -> Agent.open(options(dir).lockTimeoutMs(-5)));
    assertTrue(e.reason().contains("lock_timeout"), e.reason());
    e = assertStatus(Status.INVALID_ARGUMENT,
        () -> Agent.open(options(dir).policyUpdateKey(new byte[3])));
    assertTrue(e.reason().contains("policy_update_key"), e.reason());
    assertStatus(Status.INVALID_ARGUMENT, () -> Agent.open(new Options()));
    assertStatus(Status.INVALID_ARGUMENT, () -> Agent.open(null));
    assertStatus(Status.INVALID_ARGUMENT, () -> Agent.open(options(dir).dataDir("a\0b")));
    assertStatus(Status.INVALID_ARGUMENT, () -> options(dir).logLevel(null));
    assertFalse(Files.exists(dir.resolve("device")));
  }

  @Test
  void theKeyStoreCanLiveInAnotherFolder() throws IOException {
    Path keys = Files.createDirectory(dir.resolve("secure")).resolve("keys");
    try (Agent agent = Agent.open(options(dir).keyStoreDir(keys))) {
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
    }
    assertTrue(Files.isDirectory(keys));
    assertFalse(Files.exists(dir.resolve("device/keys")));
    // Without it the device's key store is missing: refused, nothing made.
    assertStatus(Status.FAILED_PRECONDITION, () -> Agent.open(options(dir)));
    try (Agent agent = Agent.open(options(dir).keyStoreDir(keys))) {
      assertEquals(ConsentState.GRANTED, agent.consent(SubjectKind.PURPOSE, "analytics"));
    }
  }

  private static long count(String procDir) throws IOException {
    try (var s = Files.list(Path.of(procDir))) {
      return s.count();
    }
  }

  @Test
  void openAndClose200TimesLeaksNoFileNorThread() throws IOException {
    // Warm up (the JIT, the library's one-time state), then take the baseline.
    Agent.open(options(dir)).close();
    long fds = count("/proc/self/fd");
    long tasks = count("/proc/self/task");
    AtomicInteger fired = new AtomicInteger();
    for (int i = 0; i < 200; i++) {
      try (Agent agent = Agent.open(options(dir))) {
        agent.addConsentListener(g -> fired.incrementAndGet());
        agent.setPurpose("analytics", i % 2 == 0 ? ConsentState.GRANTED : ConsentState.DENIED,
            DecisionSource.USER);
      }
    }
    assertEquals(200, fired.get());
    // The JVM opens and closes a few files of its own meanwhile; a leak would show 200 more.
    long fdsAfter = count("/proc/self/fd");
    long tasksAfter = count("/proc/self/task");
    assertTrue(fdsAfter <= fds + 2, "file descriptors: " + fds + " before, " + fdsAfter + " after");
    assertTrue(tasksAfter <= tasks + 2, "threads: " + tasks + " before, " + tasksAfter + " after");
    try (Agent agent = Agent.open(options(dir))) {
      assertEquals(200, agent.consentHistory("purpose:analytics").size());
    }
  }

  private void openAndForget() {
    Agent.open(options(dir));
  }

  @Test
  void theCleanerFreesAnAgentTheAppForgotToClose() throws InterruptedException {
    assertTrue(SafetyNet.available(), "a JDK has java.lang.ref.Cleaner");
    openAndForget();
    // The forgotten agent holds the folder's lock until the Cleaner frees it.
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      System.gc();
      try {
        Agent.open(options(dir).lockTimeoutMs(0)).close();
        return;
      } catch (TacetException e) {
        assertEquals(Status.UNAVAILABLE, e.status(), e.getMessage());
        assertTrue(System.nanoTime() < deadline, "the Cleaner did not free the agent");
        Thread.sleep(50);
      }
    }
  }

  @Test
  void closingWhileOtherThreadsCallIsSafe() throws InterruptedException {
    Agent agent = Agent.open(options(dir));
    int threads = 4;
    CountDownLatch started = new CountDownLatch(threads);
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    AtomicInteger closedErrors = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int n = t;
      Thread w = new Thread(() -> {
        started.countDown();
        for (long end = System.nanoTime() + 30_000_000_000L; System.nanoTime() < end; ) {
          try {
            if (n % 2 == 0) {
              agent.consent(SubjectKind.PURPOSE, "analytics");
            } else {
              agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
            }
          } catch (TacetException e) {
            // Once close began: the C API's "the agent is closed", then the binding's.
            if (e.status() == Status.FAILED_PRECONDITION && e.reason().contains("closed")) {
              closedErrors.incrementAndGet();
              return;
            }
            unexpected.set(e);
            return;
          } catch (Throwable e) {
            unexpected.set(e);
            return;
          }
        }
      });
      w.start();
      workers.add(w);
    }
    started.await();
    Thread.sleep(50);
    agent.close();
    for (Thread w : workers) w.join();
    assertEquals(null, unexpected.get());
    assertEquals(threads, closedErrors.get(), "every worker saw the close as an error");
  }

  @Test
  void syncNowWithoutSyncIsAFailedPreconditionAndAnUnreachableGatewayIsCounted() {
    try (Agent agent = Agent.open(options(dir))) {
      TacetException e = assertStatus(Status.FAILED_PRECONDITION, agent::syncNow);
      assertTrue(e.reason().contains("sync is not configured"), e.reason());
    }
    // An RFC 9458 key configuration: key id 1, X25519 (the base point), HKDF-SHA256, AES-128-GCM.
    byte[] keyConfig = new byte[41];
    keyConfig[0] = 1;
    keyConfig[2] = 0x20;
    keyConfig[3] = 9;
    byte[] algorithms = {0, 4, 0, 1, 0, 1};
    System.arraycopy(algorithms, 0, keyConfig, 35, 6);
    byte[] pin = new byte[32];
    assertStatus(Status.INVALID_ARGUMENT, () -> Agent.open(options(dir).sync(
        new SyncConfig("https://127.0.0.1:1/gateway", keyConfig).spkiSha256(new byte[3]))));
    SyncConfig sync = new SyncConfig("https://127.0.0.1:1/gateway", keyConfig).spkiSha256(pin)
        .timeoutMs(2000);
    try (Agent agent = Agent.open(options(dir).sync(sync))) {
      agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
      agent.record("analytics", List.of(EventField.of("usage.interaction_events", "tap")), 1L,
          false);
      SyncResult r = agent.syncNow();
      assertTrue(r.batchesSent() >= 1, r.toString());
      assertEquals(0, r.batchesAcknowledged());
      assertEquals(0, r.eventsDelivered());
      assertEquals(r.batchesSent(), r.batchesPending(), r.toString());
      assertTrue(r.nextAttemptUnixMs() > 0);
      assertEquals(1, agent.recordCounts().queued());
    }
  }
}
