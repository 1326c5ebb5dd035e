package dev.tacet;

/** What the OS allows (tacet_permission_state); NOT_DETERMINED is never treated as granted. */
public enum PermissionState {
  NOT_DETERMINED(0),
  DENIED(1),
  GRANTED(2);

  private final int code;

  PermissionState(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static PermissionState fromCode(int code) {
    for (PermissionState v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned PermissionState " + code
        + ", which this binding does not know");
  }
}
