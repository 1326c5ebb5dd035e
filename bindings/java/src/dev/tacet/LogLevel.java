package dev.tacet;

/** The least severe diagnostic the library writes to standard error (tacet_log_level). */
public enum LogLevel {
  DEBUG(0),
  INFO(1),
  WARNING(2),
  ERROR(3),
  /** Log nothing. */
  NONE(4);

  private final int code;

  LogLevel(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static LogLevel fromCode(int code) {
    for (LogLevel v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned LogLevel " + code
        + ", which this binding does not know");
  }
}
