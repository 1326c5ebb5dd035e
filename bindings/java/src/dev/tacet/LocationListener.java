package dev.tacet;

/**
 * What a location session delivers to (tacet_location_callbacks); threads and rules as
 * {@link VoiceListener}, with {@link #onFix} on the thread calling {@link Agent#pushLocationFix}.
 */
public interface LocationListener {
  /** A fix already coarsened to {@code precision}. */
  void onFix(LocationFix fix, LocationPrecision precision);

  /** The agent ended the session; no fix follows. */
  default void onEnded(EndReason reason) {}
}
