package dev.tacet;

/**
 * One purpose, channel or category of the active policy with its current decision
 * (tacet_consent_item). A value: no native resource. Strings are never null ("" when absent).
 *
 * @param askable purposes: the user may refuse or object; categories: the user may decline to
 *     provide it; channels: always true. When false the state is fixed by the policy.
 * @param legalBasis purposes only: "consent", "contract", "legitimate_interest" or
 *     "legal_obligation"; else "".
 */
public record ConsentItem(String id, String displayName, String description, ConsentState state,
    DecisionSource source, boolean askable, String legalBasis) {
  static ConsentItem fromNative(byte[] id, byte[] displayName, byte[] description, int state,
      int source, boolean askable, byte[] legalBasis) {
    return new ConsentItem(Utf8.decode(id), Utf8.decode(displayName), Utf8.decode(description),
        ConsentState.fromCode(state), DecisionSource.fromCode(source), askable,
        Utf8.decode(legalBasis));
  }
}
