package dev.tacet;

/** Who wrote a vault value (tacet_change_source). */
public enum ChangeSource {
  USER(0),
  APP(1),
  SERVICE(2),
  IMPORT(3);

  private final int code;

  ChangeSource(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static ChangeSource fromCode(int code) {
    for (ChangeSource v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned ChangeSource " + code
        + ", which this binding does not know");
  }
}
