package dev.tacet;

/** Where a consent decision came from (tacet_decision_source); kept in the consent history. */
public enum DecisionSource {
  /** The user answered a prompt or changed a setting. */
  USER(1),
  /** An OS permission changed. */
  OS_PERMISSION(2),
  /** A policy update re-opened the question. */
  POLICY_UPDATE(3),
  /** Restored from an export or another device. */
  IMPORT(4),
  /** Nobody decided: the policy's initial state. */
  POLICY_DEFAULT(5);

  private final int code;

  DecisionSource(int code) {
    this.code = code;
  }

  /** The C API's number for this value. */
  public int code() {
    return code;
  }

  /** The value with C number {@code code}; {@link TacetException} (INTERNAL) for none. */
  static DecisionSource fromCode(int code) {
    for (DecisionSource v : values()) {
      if (v.code == code) return v;
    }
    throw new TacetException(Status.INTERNAL, "the library returned DecisionSource " + code
        + ", which this binding does not know");
  }
}
