package dev.tacet;

/**
 * The status codes of the C API ({@code tacet_status} in tacet/tacet_status.h), with the same
 * numbers. {@link #UNKNOWN} stands for a number this binding does not know (a newer library).
 */
public enum Status {
  OK(0),
  INVALID_ARGUMENT(1),
  NOT_FOUND(2),
  ALREADY_EXISTS(3),
  PERMISSION_DENIED(4),
  FAILED_PRECONDITION(5),
  OUT_OF_RANGE(6),
  RESOURCE_EXHAUSTED(7),
  UNAVAILABLE(8),
  DATA_LOSS(9),
  INTERNAL(10),
  UNIMPLEMENTED(11),
  /** A code this binding does not know; {@link TacetException#code()} has the number. */
  UNKNOWN(-1);

  private final int code;

  Status(int code) {
    this.code = code;
  }

  /** The C API's number for this status ({@code TACET_OK} is 0); -1 for {@link #UNKNOWN}. */
  public int code() {
    return code;
  }

  /** The status with C number {@code code}, or {@link #UNKNOWN}. Never null. */
  public static Status fromCode(int code) {
    for (Status s : values()) {
      if (s.code == code && s != UNKNOWN) return s;
    }
    return UNKNOWN;
  }
}
