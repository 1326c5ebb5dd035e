package dev.tacet;

/**
 * One entry of the consent history (tacet_consent_entry). A value; the byte arrays are copies the
 * caller owns.
 *
 * @param subject "purpose:&lt;id&gt;", "channel:&lt;id&gt;", "category:&lt;id&gt;" or "location"
 * @param precision NONE except for "location"
 * @param policyHash SHA-256 of the policy in force (32 bytes)
 * @param entryHash this entry's hash in the chain (32 bytes)
 */
public record ConsentEntry(long seq, String subject, ConsentState state,
    LocationPrecision precision, long timeUnixMs, String policyId, long policyVersion,
    byte[] policyHash, DecisionSource source, byte[] entryHash) {
  static ConsentEntry fromNative(long seq, byte[] subject, int state, int precision, long time,
      byte[] policyId, long policyVersion, byte[] policyHash, int source, byte[] entryHash) {
    return new ConsentEntry(seq, Utf8.decode(subject), ConsentState.fromCode(state),
        LocationPrecision.fromCode(precision), time, Utf8.decode(policyId), policyVersion,
        policyHash, DecisionSource.fromCode(source), entryHash);
  }
}
