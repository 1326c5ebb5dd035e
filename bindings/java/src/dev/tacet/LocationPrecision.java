package dev.tacet;

/** How precise a location may be (tacet_location_precision). */
public enum LocationPrecision {
  NONE(0),
  APPROXIMATE(1),
  PRECISE(2);

  private final int code;

  LocationPrecision(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static LocationPrecision fromCode(int code) {
    for (LocationPrecision v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned LocationPrecision " + code
        + ", which this binding does not know");
  }
}
