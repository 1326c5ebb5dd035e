package dev.tacet;

import java.lang.reflect.Method;

/**
 * Frees what an app forgot to close once its owner is unreachable, through
 * java.lang.ref.Cleaner where the runtime has it (any JDK 9+; Android only from API 33), found
 * reflectively so that the binding still loads where it is missing (there, nothing is freed
 * behind the app's back: close is the only way). The action must not refer to the owner and
 * must tolerate running after an explicit close.
 */
final class SafetyNet {
  private static final Object CLEANER;
  private static final Method REGISTER;

  static {
    Object cleaner = null;
    Method register = null;
    try {
      Class<?> type = Class.forName("java.lang.ref.Cleaner");
      cleaner = type.getMethod("create").invoke(null);
      register = type.getMethod("register", Object.class, Runnable.class);
    } catch (ReflectiveOperationException | LinkageError e) {
      cleaner = null;
      register = null;
    }
    CLEANER = cleaner;
    REGISTER = register;
  }

  private SafetyNet() {}

  /** True when a Cleaner backs the safety net on this runtime. */
  static boolean available() {
    return REGISTER != null;
  }

  /** Runs {@code action} (once) when {@code owner} becomes unreachable, if the runtime can. */
  static void register(Object owner, Runnable action) {
    if (REGISTER == null) return;
    try {
      REGISTER.invoke(CLEANER, owner, action);
    } catch (ReflectiveOperationException e) {
      // No safety net for this one: close() still frees it.
    }
  }
}
