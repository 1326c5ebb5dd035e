package dev.tacet;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An open voice or location capture session (tacet_voice_session_t, tacet_location_session_t),
 * from {@link Agent#openVoiceSession} or {@link Agent#openLocationSession}.
 *
 * <p>Ownership: the session owns its native handle and its slot in the gate (4 per gate, counting
 * sessions ended but not closed) until {@link #close()}, which ends it if open and frees it;
 * idempotent. Close sessions promptly, also those the agent ended. It may outlive its agent (the
 * agent's close ends it with {@link EndReason#AGENT_CLOSED}). Use after close throws
 * FAILED_PRECONDITION; the handle is set to 0 under a write lock before it is freed. A Cleaner
 * frees a forgotten session, as for {@link Agent}.
 *
 * <p>Threads: any thread. Inside the session's own listener {@link #end()} and the state queries
 * work (the current callback is then the last); {@link #close()} is refused there.
 */
public final class CaptureSession implements AutoCloseable {
  static final int VOICE = 0;
  static final int LOCATION = 1;

  private static final class Handle implements Runnable {
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    final int kind;
    long ptr;

    Handle(long ptr, int kind) {
      this.ptr = ptr;
      this.kind = kind;
    }

    @Override
    public void run() {
      // First end it under the read lock: the C end waits for a callback in progress, and that
      // callback may call end() or the state queries (read lock) from its own thread. Holding
      // the write lock across that wait would deadlock both. Once ended no callback starts, so
      // the free below, under the write lock, waits for none.
      lock.readLock().lock();
      try {
        if (ptr != 0) Native.sessionEnd(ptr, kind);
      } catch (TacetException ignored) {
        // Ending is best effort here; the free below ends it too.
      } finally {
        lock.readLock().unlock();
      }
      lock.writeLock().lock();
      try {
        long p = ptr;
        ptr = 0;
        if (p != 0) Native.sessionFree(p, kind);
      } finally {
        lock.writeLock().unlock();
      }
    }
  }

  private final Handle handle;

  CaptureSession(long ptr, int kind) {
    handle = new Handle(ptr, kind);
    SafetyNet.register(this, handle);
  }

  /** True for a voice session, false for a location session. */
  public boolean isVoice() {
    return handle.kind == VOICE;
  }

  private long[] state() {
    handle.lock.readLock().lock();
    try {
      if (handle.ptr == 0) {
        throw new TacetException(Status.FAILED_PRECONDITION, "the CaptureSession is closed");
      }
      return Native.sessionState(handle.ptr, handle.kind);
    } finally {
      handle.lock.readLock().unlock();
    }
  }

  /** {@link EndReason#NONE} while open, else why it ended. */
  public EndReason endReason() {
    return EndReason.fromCode((int) state()[0]);
  }

  /** The frames (voice) or fixes (location) delivered so far. */
  public long delivered() {
    return state()[1];
  }

  /** Ends delivery (no callback starts after this returns); idempotent. Keeps the handle. */
  public void end() {
    handle.lock.readLock().lock();
    try {
      if (handle.ptr == 0) {
        throw new TacetException(Status.FAILED_PRECONDITION, "the CaptureSession is closed");
      }
      Native.sessionEnd(handle.ptr, handle.kind);
    } finally {
      handle.lock.readLock().unlock();
    }
  }

  /** Ends the session if open, frees its slot and handle. Idempotent; not from a callback. */
  @Override
  public void close() {
    if (Callbacks.inside()) {
      throw new TacetException(Status.FAILED_PRECONDITION,
          "CaptureSession.close() called from inside a Tacet callback; end() it there instead");
    }
    handle.run();
  }
}
