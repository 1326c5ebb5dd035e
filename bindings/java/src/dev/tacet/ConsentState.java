package dev.tacet;

/** A consent decision (tacet_consent_state). For optional data categories GRANTED means provided and DENIED declined. UNKNOWN is never treated as granted. */
public enum ConsentState {
  /** Never asked, or re-opened by a policy update. */
  UNKNOWN(0),
  GRANTED(1),
  DENIED(2);

  private final int code;

  ConsentState(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static ConsentState fromCode(int code) {
    for (ConsentState v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned ConsentState " + code
        + ", which this binding does not know");
  }
}
