package dev.tacet;

/** Why a capture session ended (tacet_end_reason). */
public enum EndReason {
  /** Still open. */
  NONE(0),
  /** CaptureSession.end() or close(). */
  COMPLETED_BY_CALLER(1),
  /** Consent revoked, category declined or policy changed. */
  CONSENT_WITHDRAWN(2),
  OS_PERMISSION_LOST(3),
  HARDWARE_MUTED(4),
  /** Agent.reportMicrophoneError(). */
  DEVICE_ERROR(5),
  /** The agent closed with the session open. */
  AGENT_CLOSED(6);

  private final int code;

  EndReason(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static EndReason fromCode(int code) {
    for (EndReason v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned EndReason " + code
        + ", which this binding does not know");
  }
}
