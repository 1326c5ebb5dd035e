package dev.tacet;

import java.io.File;
import java.nio.file.Path;

/**
 * How to open an agent (tacet_options_t): a plain Java builder that holds no native resource.
 * {@link Agent#open} creates the C options from it, opens, and frees them in the same call, so
 * a value the C API refuses (a lock timeout out of range, a policy key of the wrong size) is
 * reported by {@link Agent#open} with the setter's name in the message. Not thread-safe; may be
 * reused for several opens.
 */
public final class Options {
  static final int SET_CREATE = 1;
  static final int SET_READ_ONLY = 2;
  static final int SET_LOG_LEVEL = 4;
  static final int SET_LOCK_TIMEOUT = 8;
  static final int SET_AUDIO_FORMAT = 16;

  String dataDir;
  String keyStoreDir;
  byte[] policyUpdateKey;
  int setMask;
  boolean create = true;
  boolean readOnly;
  LogLevel logLevel = LogLevel.INFO;
  int lockTimeoutMs;
  int sampleRateHz;
  int channels;
  int frameMs;
  SyncConfig sync;

  /** Options with the C API's defaults: create, read-write, 5 s lock timeout, log level INFO. */
  public Options() {}

  /** The device folder (required). */
  public Options dataDir(String path) {
    this.dataDir = path;
    return this;
  }

  /** The device folder (required). */
  public Options dataDir(Path path) {
    return dataDir(path == null ? null : path.toString());
  }

  /** The device folder (required). */
  public Options dataDir(File path) {
    return dataDir(path == null ? null : path.getPath());
  }

  /** Where the default key store keeps the secrets instead of "&lt;dataDir&gt;/keys"; null: that. */
  public Options keyStoreDir(String path) {
    this.keyStoreDir = path;
    return this;
  }

  /** As {@link #keyStoreDir(String)}. */
  public Options keyStoreDir(Path path) {
    return keyStoreDir(path == null ? null : path.toString());
  }

  /** The backend's policy-signing key: 65 bytes, an uncompressed P-256 point. Copied. */
  public Options policyUpdateKey(byte[] publicKey) {
    this.policyUpdateKey = publicKey == null ? null : publicKey.clone();
    return this;
  }

  /** True (the default): create the device when the folder holds none; false: NOT_FOUND. */
  public Options create(boolean create) {
    this.create = create;
    setMask |= SET_CREATE;
    return this;
  }

  /** True: open for reading only; every call that writes then fails (FAILED_PRECONDITION). */
  public Options readOnly(boolean readOnly) {
    this.readOnly = readOnly;
    setMask |= SET_READ_ONLY;
    return this;
  }

  /** Diagnostics below {@code level} are dropped (they go to standard error). */
  public Options logLevel(LogLevel level) {
    if (level == null) throw new TacetException(Status.INVALID_ARGUMENT, "logLevel is null");
    this.logLevel = level;
    setMask |= SET_LOG_LEVEL;
    return this;
  }

  /** How long open waits for another owner of the folder (0 .. 600000 ms; default 5000). */
  public Options lockTimeoutMs(int ms) {
    this.lockTimeoutMs = ms;
    setMask |= SET_LOCK_TIMEOUT;
    return this;
  }

  /**
   * The format of the frames pushed with {@link Agent#pushVoiceFrame} (8000..48000 Hz, 1..2
   * channels, 10..100 ms frames of a whole number of samples; default 16 kHz mono 20 ms, 320
   * samples a frame).
   */
  public Options audioFormat(int sampleRateHz, int channels, int frameMs) {
    this.sampleRateHz = sampleRateHz;
    this.channels = channels;
    this.frameMs = frameMs;
    setMask |= SET_AUDIO_FORMAT;
    return this;
  }

  /** Uploads (see {@link SyncConfig}); null: none (the default). */
  public Options sync(SyncConfig config) {
    this.sync = config;
    return this;
  }
}
