package dev.tacet;

/**
 * What a C capture session holds (as a JNI global reference, released when the session is freed,
 * or at once when the gate refuses it): calls the app's listener, never throws.
 */
final class SessionTrampoline {
  private final VoiceListener voice;
  private final LocationListener location;

  SessionTrampoline(VoiceListener voice, LocationListener location) {
    this.voice = voice;
    this.location = location;
  }

  void frame(short[] samples, long captureMonotonicNs) {
    Callbacks.run("voice listener", () -> voice.onFrame(samples, captureMonotonicNs));
  }

  void fix(double latitude, double longitude, double accuracy, long unixMs, int precision) {
    Callbacks.run("location listener", () -> location.onFix(
        new LocationFix(latitude, longitude, accuracy, unixMs),
        LocationPrecision.fromCode(precision)));
  }

  void ended(int reason) {
    Callbacks.run("capture listener", () -> {
      EndReason r = EndReason.fromCode(reason);
      if (voice != null) voice.onEnded(r);
      if (location != null) location.onEnded(r);
    });
  }
}
