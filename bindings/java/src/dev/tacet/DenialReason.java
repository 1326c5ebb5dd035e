package dev.tacet;

/** Why a capture session was refused (tacet_denial_reason). The gates check in this order and report the first. */
public enum DenialReason {
  /** Allowed. */
  NONE(0),
  PURPOSE_NOT_ALLOWED_BY_POLICY(1),
  VOICE_DATA_NOT_PROVIDED(2),
  LOCATION_DATA_NOT_PROVIDED(3),
  /** Never asked: ask. */
  CONSENT_UNKNOWN(4),
  /** Refused, or location precision off. */
  NO_CONSENT(5),
  OS_PERMISSION_DENIED(6),
  HARDWARE_MUTED(7),
  TOO_MANY_SESSIONS(8),
  DEVICE_UNAVAILABLE(9),
  ACCESS_LOG_UNAVAILABLE(10),
  INVALID_REQUEST(11),
  /** The purpose's legal basis is no reason to capture. */
  NOT_A_COLLECTION_BASIS(12);

  private final int code;

  DenialReason(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static DenialReason fromCode(int code) {
    for (DenialReason v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned DenialReason " + code
        + ", which this binding does not know");
  }
}
