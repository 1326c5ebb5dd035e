package dev.tacet;

import java.nio.charset.StandardCharsets;

/**
 * One stored value of the vault (tacet_vault_record), decrypted. A value; {@link #valueBytes()}
 * is the caller's copy (binary fields may hold any bytes).
 *
 * @param version 1 when written, +1 per correction
 */
public record VaultRecord(long id, String category, String field, long version, byte[] valueBytes,
    long createdUnixMs, long writtenUnixMs, ChangeSource source) {
  /** The value as text (malformed UTF-8 replaced by U+FFFD). */
  public String value() {
    return new String(valueBytes, StandardCharsets.UTF_8);
  }

  static VaultRecord fromNative(long id, byte[] category, byte[] field, long version, byte[] value,
      long created, long written, int source) {
    return new VaultRecord(id, Utf8.decode(category), Utf8.decode(field), version, value, created,
        written, ChangeSource.fromCode(source));
  }
}
