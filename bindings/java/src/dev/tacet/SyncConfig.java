package dev.tacet;

/**
 * Where and how the agent uploads (tacet_sync_config): the OHTTP relay's (or gateway's) https URL,
 * a pinned SHA-256 of the server's SubjectPublicKeyInfo and/or PEM trust anchors, and the
 * gateway's pinned key configuration (RFC 9458 section 3.1). Checked by the C API when the agent
 * opens ({@link TacetException} INVALID_ARGUMENT naming the field). A builder, not thread-safe;
 * the arrays are copied when set.
 */
public final class SyncConfig {
  String url;
  byte[] spkiSha256;
  String caPem;
  byte[] keyConfig;
  String gatewayAuthority;
  int maxEventsPerBatch;
  long intervalMs;
  int timeoutMs;

  /** A config for {@code url} ("https://host:port/path") with the gateway's {@code keyConfig}. */
  public SyncConfig(String url, byte[] keyConfig) {
    this.url = url;
    this.keyConfig = keyConfig == null ? null : keyConfig.clone();
  }

  /** The pinned SHA-256 (32 bytes) of the server's SubjectPublicKeyInfo. */
  public SyncConfig spkiSha256(byte[] sha256) {
    this.spkiSha256 = sha256 == null ? null : sha256.clone();
    return this;
  }

  /** Trust anchors in PEM (chain and host name checked). */
  public SyncConfig caPem(String pem) {
    this.caPem = pem;
    return this;
  }

  /** The gateway's authority; null: "collector.tacet.invalid". */
  public SyncConfig gatewayAuthority(String authority) {
    this.gatewayAuthority = authority;
    return this;
  }

  /** Events per batch; 0: 500. */
  public SyncConfig maxEventsPerBatch(int max) {
    this.maxEventsPerBatch = max;
    return this;
  }

  /** Background uploads every {@code ms}; 0 (the default): only {@link Agent#syncNow}. */
  public SyncConfig intervalMs(long ms) {
    this.intervalMs = ms;
    return this;
  }

  /** Per attempt (connect, handshake, read); 0: 10000. */
  public SyncConfig timeoutMs(int ms) {
    this.timeoutMs = ms;
    return this;
  }
}
