package dev.tacet;

/**
 * A registered {@link ConsentListener}: {@link #close()} removes it. Once close returns the
 * listener is not called again. Idempotent; closing after the agent closed does nothing (closing
 * the agent removed every listener). Thread-safe.
 */
public final class ConsentSubscription implements AutoCloseable {
  private final Agent agent;
  private final long id;
  private boolean removed;

  ConsentSubscription(Agent agent, long id) {
    this.agent = agent;
    this.id = id;
  }

  /** The C API's listener id. */
  public long id() {
    return id;
  }

  /** Removes the listener (see the class comment). Not from inside a Tacet callback. */
  @Override
  public synchronized void close() {
    if (removed) return;
    agent.removeListener(id);
    removed = true;
  }
}
