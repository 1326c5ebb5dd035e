package dev.tacet;

/**
 * Told after every committed consent change (tacet_consent_listener_fn).
 *
 * <p>Threads: runs on the thread that made the change (the one inside {@code setPurpose} and the
 * other setters), serialised, before that call returns. Inside it, only reads are allowed
 * ({@link Agent#consent}, {@link Agent#locationPrecision}); any other call on the agent throws
 * {@link TacetException} ({@link Status#FAILED_PRECONDITION}), and {@link Agent#close} is refused.
 * Return quickly: hand longer work to an executor. An exception it throws is caught at the
 * boundary and logged (java.util.logging, logger "dev.tacet"); it never reaches the C library nor
 * the thread that changed the consent.
 */
@FunctionalInterface
public interface ConsentListener {
  /** {@code generation} grows with each change. */
  void onConsentChanged(long generation);
}
