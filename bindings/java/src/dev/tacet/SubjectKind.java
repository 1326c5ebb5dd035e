package dev.tacet;

/** What a consent decision is about (tacet_subject_kind). */
public enum SubjectKind {
  PURPOSE(0),
  CHANNEL(1),
  /** Optional data categories (provided or declined). */
  CATEGORY(2),
  /** The location precision the user allows (no id). */
  LOCATION(3);

  private final int code;

  SubjectKind(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static SubjectKind fromCode(int code) {
    for (SubjectKind v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned SubjectKind " + code
        + ", which this binding does not know");
  }
}
