package dev.tacet;

/**
 * What the C listener holds (as a JNI global reference, released when the listener is removed or
 * the agent closes): calls the app's listener and keeps anything it throws on this side.
 */
final class ListenerTrampoline {
  private final ConsentListener listener;

  ListenerTrampoline(ConsentListener listener) {
    this.listener = listener;
  }

  /** Called by the shim on the thread that changed the consent. Never throws. */
  void fire(long generation) {
    Callbacks.run("consent listener", () -> listener.onConsentChanged(generation));
  }
}
