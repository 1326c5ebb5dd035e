package dev.tacet;

/** An OS permission the capture gates depend on (tacet_os_permission). */
public enum OsPermission {
  MICROPHONE(0),
  LOCATION(1);

  private final int code;

  OsPermission(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static OsPermission fromCode(int code) {
    for (OsPermission v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned OsPermission " + code
        + ", which this binding does not know");
  }
}
