package dev.tacet;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Where app code runs inside a Tacet call (listeners, capture callbacks, export streams): marks
 * the thread, so that calls the C API refuses there (freeing an agent or a session) are refused
 * by the binding first instead of leaving a handle half-released, and keeps every exception on
 * this side of the boundary.
 */
final class Callbacks {
  private static final Logger LOG = Logger.getLogger("dev.tacet");
  private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  private Callbacks() {}

  /** True while this thread runs app code called from inside a Tacet call. */
  static boolean inside() {
    return DEPTH.get()[0] > 0;
  }

  /** Runs {@code body} marked as a callback; logs and swallows whatever it throws. */
  static void run(String what, Runnable body) {
    int[] depth = DEPTH.get();
    depth[0]++;
    try {
      body.run();
    } catch (Throwable t) { // nothing may unwind into C
      try {
        LOG.log(Level.WARNING, "a Tacet " + what + " threw; ignored", t);
      } catch (Throwable ignored) { // logging itself failed: nothing more to do
      }
    } finally {
      depth[0]--;
    }
  }

  /** Runs {@code body} marked as a callback, letting its exception through (export streams). */
  static <E extends Exception> void runThrowing(ThrowingBody<E> body) throws E {
    int[] depth = DEPTH.get();
    depth[0]++;
    try {
      body.run();
    } finally {
      depth[0]--;
    }
  }

  @FunctionalInterface
  interface ThrowingBody<E extends Exception> {
    void run() throws E;
  }
}
