package dev.tacet;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the C listener holds (as a JNI global reference, released when the listener is removed or
 * the agent closes): calls the app's listener and keeps anything it throws on this side.
 */
final class ListenerTrampoline {
  private static final Logger LOG = Logger.getLogger("dev.tacet");

  private final ConsentListener listener;

  ListenerTrampoline(ConsentListener listener) {
    this.listener = listener;
  }

  /** Called by the shim on the thread that changed the consent. Never throws. */
  void fire(long generation) {
    try {
      listener.onConsentChanged(generation);
    } catch (Throwable t) { // NOPMD: nothing may unwind into C
      try {
        LOG.log(Level.WARNING, "a Tacet consent listener threw; ignored", t);
      } catch (Throwable ignored) { // NOPMD: logging itself failed
      }
    }
  }
}
