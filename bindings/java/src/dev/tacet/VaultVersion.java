package dev.tacet;

import java.nio.charset.StandardCharsets;

/**
 * One version of a vault record (tacet_vault_version). A value.
 *
 * @param replacedUnixMs 0 for the current version
 */
public record VaultVersion(long recordId, long version, byte[] valueBytes, long writtenUnixMs,
    long replacedUnixMs, ChangeSource source) {
  /** The value as text (malformed UTF-8 replaced by U+FFFD). */
  public String value() {
    return new String(valueBytes, StandardCharsets.UTF_8);
  }

  static VaultVersion fromNative(long recordId, long version, byte[] value, long written,
      long replaced, int source) {
    return new VaultVersion(recordId, version, value, written, replaced,
        ChangeSource.fromCode(source));
  }
}
