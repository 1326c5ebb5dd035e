package dev.tacet;

import java.io.OutputStream;
import java.util.List;

/**
 * The JNI shim (bindings/java/jni/tacet_jni.c), one static method per C call. Handles are the C
 * pointers as longs; only {@link Agent} holds them, under its lock. Strings go in as UTF-8 byte
 * arrays (null passes NULL, which the C API refuses naming the argument). Every failure is thrown
 * by the shim as {@link TacetException} with the C status and tacet_last_error_message's text.
 */
final class Native {
  private Native() {}

  static {
    System.loadLibrary("tacet_jni");
    if (abiVersion() != headerAbiVersion()) {
      throw new TacetException(Status.FAILED_PRECONDITION, "libtacet_c has ABI version "
          + abiVersion() + " but libtacet_jni was built for " + headerAbiVersion());
    }
  }

  /** Makes sure the library is loaded (the static initialiser ran). */
  static void load() {}

  static native int abiVersion();

  static native int headerAbiVersion();

  static native byte[] version();

  static native long agentOpen(byte[] dataDir, byte[] keyStoreDir, byte[] policyUpdateKey,
      int setMask, boolean create, boolean readOnly, int logLevel, int lockTimeoutMs,
      int sampleRateHz, int channels, int frameMs,
      boolean sync, byte[] url, byte[] spkiSha256, byte[] caPem, byte[] keyConfig,
      byte[] gatewayAuthority, int maxEventsPerBatch, long intervalMs, int timeoutMs);

  static native int agentClose(long agent);

  static native void agentFree(long agent);

  static native byte[] policyId(long agent);

  static native long policyVersion(long agent);

  static native int consentGet(long agent, int kind, byte[] id);

  static native int consentLocationPrecision(long agent);

  static native Object[] consentItems(long agent, int kind);

  static native void consentSetPurpose(long agent, byte[] id, int state, int source);

  static native void consentSetChannel(long agent, byte[] id, int state, int source);

  static native void consentSetCategoryProvided(long agent, byte[] id, boolean provided,
      int source);

  static native void consentSetLocationPrecision(long agent, int precision, int source);

  static native void consentHistory(long agent, byte[] subject, List<ConsentEntry> out);

  static native byte[] consentReceipt(long agent, long seq);

  static native void consentVerify(long agent);

  static native long consentAddListener(long agent, ListenerTrampoline trampoline);

  static native void consentRemoveListener(long agent, long listenerId);

  static native long[] record(long agent, byte[] purpose, byte[][] keys, byte[][] values,
      long occurredUnixMs, int flags);

  static native long[] recordBatch(long agent, byte[][] purposes, int[] fieldCounts,
      byte[][] keys, byte[][] values, long[] occurredUnixMs, int flags);

  static native long[] recordCounts(long agent);

  static native long[] syncNow(long agent);

  static native long vaultSet(long agent, byte[] category, byte[] field, byte[] value, int source,
      boolean add);

  static native void vaultCorrect(long agent, long recordId, byte[] value, int source);

  static native VaultRecord vaultGet(long agent, long recordId);

  static native Object[] vaultList(long agent, byte[] category, byte[] field);

  static native Object[] vaultHistory(long agent, byte[] category, byte[] field);

  static native long[] vaultErase(long agent, byte[] category);

  static native long[] vaultEraseAll(long agent);

  static native void vaultVerify(long agent);

  /** kind 0: the export (JSON), 1: the privacy report (HTML). */
  static native long[] writeToFile(long agent, int kind, byte[] path);

  static native long[] writeToStream(long agent, int kind, OutputStream out);

  static native void auditVerify(long agent);

  /** The session when granted; throws CaptureDeniedException when refused. */
  static native long voiceSessionOpen(long agent, byte[] purpose, SessionTrampoline trampoline);

  static native long locationSessionOpen(long agent, byte[] purpose, int requested,
      SessionTrampoline trampoline);

  static native int voiceCheck(long agent, byte[] purpose);

  /** {denial, effective precision}. */
  static native int[] locationCheck(long agent, byte[] purpose, int requested);

  static native void sessionEnd(long session, int kind);

  /** {end reason, delivered}. */
  static native long[] sessionState(long session, int kind);

  static native void sessionFree(long session, int kind);

  static native void voicePushFrame(long agent, short[] samples, long captureMonotonicNs);

  static native void voiceSetHardwareMuted(long agent, boolean muted);

  static native void voiceReportDeviceError(long agent);

  static native void locationPushFix(long agent, double latitude, double longitude,
      double accuracy, long unixMs);

  static native void setOsPermission(long agent, int permission, int state, int precision);
}
