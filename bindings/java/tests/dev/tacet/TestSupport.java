package dev.tacet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers: options on a temp folder, and asserting a TacetException's status. */
final class TestSupport {
  private TestSupport() {}

  /** Options for "&lt;dir&gt;/device", quiet, a short lock timeout. */
  static Options options(Path dir) {
    return new Options().dataDir(dir.resolve("device")).logLevel(LogLevel.ERROR)
        .lockTimeoutMs(100);
  }

  static TacetException assertStatus(Status status, Executable call) {
    TacetException e = assertThrows(TacetException.class, call);
    assertEquals(status, e.status(), e.getMessage());
    assertEquals(status.code(), e.code());
    return e;
  }
}
