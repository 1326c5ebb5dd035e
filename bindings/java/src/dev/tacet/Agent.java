package dev.tacet;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An open Tacet device (tacet_agent_t): consent, recording and sync, the vault, export and report.
 *
 * <pre>{@code
 * try (Agent agent = Agent.open(new Options().dataDir(context.getFilesDir() + "/tacet"))) {
 *   agent.setPurpose("analytics", ConsentState.GRANTED, DecisionSource.USER);
 *   agent.record("analytics", List.of(EventField.of("usage.interaction_events", "tap")),
 *       System.currentTimeMillis(), false);
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> The agent owns the native handle and the device folder's lock until
 * {@link #close()} (idempotent). A java.lang.ref.Cleaner frees an agent the app forgot to close
 * once it is unreachable (where the runtime has one: Android from API 33), but when is up to the
 * garbage collector, and a listener that refers to the agent keeps it reachable: close it.
 * After close every method throws {@link TacetException}
 * with {@link Status#FAILED_PRECONDITION}; a native call with a freed handle cannot happen: the
 * handle is read under a read lock and set to 0 under the write lock before it is freed.
 *
 * <p><b>Threads.</b> Every method may be called from any thread, and one agent from several at
 * once (the C library serialises storage work). {@link #close()} waits for calls in progress on
 * other threads to return (it first ends a {@link #syncNow()} wait). Listeners, capture listeners
 * and stream writers run inside a Tacet call: there, only reads (and ending a session) work (see
 * {@link ConsentListener}), and closing an agent or a session is refused.
 *
 * <p><b>Errors.</b> Every failure is a {@link TacetException}: the C status and the C API's
 * message, or the binding's own reason (closed agent, a string that is not valid Unicode, a null
 * enum). Nulls for strings reach the C API, which refuses them naming the argument.
 */
public final class Agent implements AutoCloseable {
  /** The native handle and its lock; also the safety net's action (it must not refer to Agent). */
  private static final class Handle implements Runnable {
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    long ptr; // guarded by lock: read under the read lock, written under the write lock

    Handle(long ptr) {
      this.ptr = ptr;
    }

    @Override
    public void run() { // close() or the safety net; idempotent
      lock.writeLock().lock();
      try {
        long p = ptr;
        ptr = 0;
        if (p != 0) Native.agentFree(p);
      } finally {
        lock.writeLock().unlock();
      }
    }
  }

  @FunctionalInterface
  private interface Call<T> {
    T apply(long handle);
  }

  @FunctionalInterface
  private interface VoidCall {
    void apply(long handle);
  }

  private final Handle handle;

  private Agent(long ptr) {
    handle = new Handle(ptr);
    SafetyNet.register(this, handle);
  }

  /**
   * Opens (or, unless {@link Options#create(boolean) create(false)}, creates) the device in
   * {@code options}' data folder. The caller owns the agent: close it. Errors: INVALID_ARGUMENT
   * for missing or bad options; FAILED_PRECONDITION for a data folder that is a file (the C
   * API's answer, naming the path) or a key store that is not the database's; UNAVAILABLE when
   * another agent or process owns the folder; NOT_FOUND for a missing device without create;
   * DATA_LOSS for a damaged device.
   */
  public static Agent open(Options options) {
    if (options == null) throw new TacetException(Status.INVALID_ARGUMENT, "options is null");
    Native.load();
    SyncConfig s = options.sync;
    long ptr = Native.agentOpen(Utf8.encode("dataDir", options.dataDir),
        Utf8.encode("keyStoreDir", options.keyStoreDir), options.policyUpdateKey,
        options.setMask, options.create, options.readOnly, options.logLevel.code(),
        options.lockTimeoutMs, options.sampleRateHz, options.channels, options.frameMs,
        s != null, s == null ? null : Utf8.encode("sync url", s.url),
        s == null ? null : s.spkiSha256, s == null ? null : Utf8.encode("caPem", s.caPem),
        s == null ? null : s.keyConfig,
        s == null ? null : Utf8.encode("gatewayAuthority", s.gatewayAuthority),
        s == null ? 0 : s.maxEventsPerBatch, s == null ? 0 : s.intervalMs,
        s == null ? 0 : s.timeoutMs);
    return new Agent(ptr);
  }

  /** The library's version, "MAJOR.MINOR.PATCH". */
  public static String libraryVersion() {
    Native.load();
    return Utf8.decode(Native.version());
  }

  /**
   * Ends the agent's work (capture sessions, listeners: each listener's reference is released),
   * closes the database, releases the folder's lock and frees the handle. Idempotent. Waits for
   * calls in progress on other threads. Throws FAILED_PRECONDITION when called from inside a
   * Tacet callback (a listener, a capture listener, an export stream: the C API refuses to free
   * there, and a call of this agent in progress holds the handle). Open capture sessions end
   * ({@link EndReason#AGENT_CLOSED}) but stay the caller's to close.
   */
  @Override
  public void close() {
    if (Callbacks.inside() || handle.lock.getReadHoldCount() > 0) {
      throw new TacetException(Status.FAILED_PRECONDITION,
          "Agent.close() called from inside a Tacet callback or stream of this agent");
    }
    // First tacet_agent_close under the read lock: it ends a sync_now wait on another thread, so
    // the write lock below does not wait for it.
    handle.lock.readLock().lock();
    try {
      if (handle.ptr != 0) Native.agentClose(handle.ptr);
    } finally {
      handle.lock.readLock().unlock();
    }
    handle.run();
  }

  /** True once {@link #close()} ran. */
  public boolean isClosed() {
    handle.lock.readLock().lock();
    try {
      return handle.ptr == 0;
    } finally {
      handle.lock.readLock().unlock();
    }
  }

  private <T> T call(Call<T> c) {
    ReentrantReadWriteLock.ReadLock r = handle.lock.readLock();
    r.lock();
    try {
      long p = handle.ptr;
      if (p == 0) throw new TacetException(Status.FAILED_PRECONDITION, "the Agent is closed");
      return c.apply(p);
    } finally {
      r.unlock();
    }
  }

  private void run(VoidCall c) {
    call(p -> {
      c.apply(p);
      return null;
    });
  }

  private static int code(Object value, String what) {
    if (value == null) throw new TacetException(Status.INVALID_ARGUMENT, what + " is null");
    if (value instanceof ConsentState v) return v.code();
    if (value instanceof DecisionSource v) return v.code();
    if (value instanceof SubjectKind v) return v.code();
    if (value instanceof LocationPrecision v) return v.code();
    if (value instanceof ChangeSource v) return v.code();
    throw new AssertionError(value);
  }

  // ---- Policy ---------------------------------------------------------------------------------

  /** The active policy's id. */
  public String policyId() {
    return call(p -> Utf8.decode(Native.policyId(p)));
  }

  /** The active policy's version. */
  public long policyVersion() {
    return call(Native::policyVersion);
  }

  // ---- Consent --------------------------------------------------------------------------------

  /**
   * The current state of purpose, channel or category {@code id} (for {@link SubjectKind#LOCATION}
   * {@code id} is ignored and may be null). NOT_FOUND when the policy has no such subject. Allowed
   * inside a listener.
   */
  public ConsentState consent(SubjectKind kind, String id) {
    int k = code(kind, "kind");
    byte[] b = Utf8.encode("id", id);
    return ConsentState.fromCode(call(p -> Native.consentGet(p, k, b)));
  }

  /** The location precision the user allows (NONE until they chose). Allowed inside a listener. */
  public LocationPrecision locationPrecision() {
    return LocationPrecision.fromCode(call(Native::consentLocationPrecision));
  }

  /** Every purpose, channel or category of the policy, in policy order (not LOCATION). */
  public List<ConsentItem> consentItems(SubjectKind kind) {
    int k = code(kind, "kind");
    return listOf(call(p -> Native.consentItems(p, k)), ConsentItem.class);
  }

  /**
   * Records a decision for purpose {@code purposeId}: one durable history entry; listeners hear
   * of it before this returns, on this thread. NOT_FOUND for an id the policy lacks;
   * FAILED_PRECONDITION for refusing a purpose that cannot be refused.
   */
  public void setPurpose(String purposeId, ConsentState state, DecisionSource source) {
    byte[] id = Utf8.encode("purposeId", purposeId);
    int st = code(state, "state");
    int so = code(source, "source");
    run(p -> Native.consentSetPurpose(p, id, st, so));
  }

  /** As {@link #setPurpose}, for a channel. */
  public void setChannel(String channelId, ConsentState state, DecisionSource source) {
    byte[] id = Utf8.encode("channelId", channelId);
    int st = code(state, "state");
    int so = code(source, "source");
    run(p -> Native.consentSetChannel(p, id, st, so));
  }

  /** Whether the user provides optional data category {@code categoryId}. */
  public void setCategoryProvided(String categoryId, boolean provided, DecisionSource source) {
    byte[] id = Utf8.encode("categoryId", categoryId);
    int so = code(source, "source");
    run(p -> Native.consentSetCategoryProvided(p, id, provided, so));
  }

  /** The location precision the user allows (NONE turns location off). */
  public void setLocationPrecision(LocationPrecision precision, DecisionSource source) {
    int pr = code(precision, "precision");
    int so = code(source, "source");
    run(p -> Native.consentSetLocationPrecision(p, pr, so));
  }

  /**
   * The consent history in seq order; only {@code subject}'s ("purpose:&lt;id&gt;", ...) when it
   * is not null.
   */
  public List<ConsentEntry> consentHistory(String subject) {
    byte[] s = Utf8.encode("subject", subject);
    List<ConsentEntry> out = new ArrayList<>();
    run(p -> Native.consentHistory(p, s, out));
    return Collections.unmodifiableList(out);
  }

  /** The receipt of history entry {@code seq} as JSON, after checking its hash. */
  public String consentReceipt(long seq) {
    return call(p -> Utf8.decode(Native.consentReceipt(p, seq)));
  }

  /** Recomputes the consent history's hash chain; DATA_LOSS naming the first bad entry. */
  public void verifyConsent() {
    run(Native::consentVerify);
  }

  /**
   * Registers {@code listener} (see {@link ConsentListener} for its thread and rules). The agent
   * keeps a reference to it until the subscription is closed or the agent closes.
   */
  public ConsentSubscription addConsentListener(ConsentListener listener) {
    if (listener == null) throw new TacetException(Status.INVALID_ARGUMENT, "listener is null");
    ListenerTrampoline t = new ListenerTrampoline(listener);
    long id = call(p -> Native.consentAddListener(p, t));
    return new ConsentSubscription(this, id);
  }

  void removeListener(long id) {
    handle.lock.readLock().lock();
    try {
      if (handle.ptr != 0) Native.consentRemoveListener(handle.ptr, id);
    } finally {
      handle.lock.readLock().unlock();
    }
  }

  // ---- Recording and sync ---------------------------------------------------------------------

  /**
   * Records an event for {@code purpose} with 1..64 fields that happened at
   * {@code occurredUnixMs}. Stored (sealed, queued to leave the device minimised) only when the
   * user's consent lets the purpose collect every category of the fields; with
   * {@code holdIfUndecided}, an event whose only obstacle is an unasked question is held until the
   * user answers. Errors (nothing stored): PERMISSION_DENIED naming the purpose, category and
   * reason; NOT_FOUND for a purpose or field the policy lacks; INVALID_ARGUMENT for a bad key, too
   * many fields or an oversized value; FAILED_PRECONDITION for a read-only agent or from inside a
   * listener.
   */
  public RecordResult record(String purpose, List<EventField> fields, long occurredUnixMs,
      boolean holdIfUndecided) {
    byte[] pu = Utf8.encode("purpose", purpose);
    if (fields == null) throw new TacetException(Status.INVALID_ARGUMENT, "fields is null");
    byte[][] keys = new byte[fields.size()][];
    byte[][] values = new byte[fields.size()][];
    flatten(fields, keys, values, 0, "fields");
    int flags = holdIfUndecided ? 1 : 0;
    long[] r = call(p -> Native.record(p, pu, keys, values, occurredUnixMs, flags));
    return new RecordResult(r[0], r[1] != 0);
  }

  /**
   * Records {@code events} (1..10000) with one commit; each gets {@link #record}'s decision and
   * its own {@link RecordOutcome}. Throws only when the call itself fails (nothing stored).
   */
  public List<RecordOutcome> recordBatch(List<Event> events, boolean holdIfUndecided) {
    if (events == null) throw new TacetException(Status.INVALID_ARGUMENT, "events is null");
    int n = events.size();
    byte[][] purposes = new byte[n][];
    int[] counts = new int[n];
    long[] times = new long[n];
    int total = 0;
    for (int i = 0; i < n; i++) {
      Event e = events.get(i);
      if (e == null) {
        throw new TacetException(Status.INVALID_ARGUMENT, "events[" + i + "] is null");
      }
      purposes[i] = Utf8.encode("events[" + i + "].purpose", e.purpose());
      counts[i] = e.fields().size();
      times[i] = e.occurredUnixMs();
      total += counts[i];
    }
    byte[][] keys = new byte[total][];
    byte[][] values = new byte[total][];
    int at = 0;
    for (int i = 0; i < n; i++) {
      at = flatten(events.get(i).fields(), keys, values, at, "events[" + i + "].fields");
    }
    int flags = holdIfUndecided ? 1 : 0;
    long[] r = call(p -> Native.recordBatch(p, purposes, counts, keys, values, times, flags));
    List<RecordOutcome> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new RecordOutcome(Status.fromCode((int) r[3 * i]), r[3 * i + 1], r[3 * i + 2] != 0));
    }
    return Collections.unmodifiableList(out);
  }

  private static int flatten(List<EventField> fields, byte[][] keys, byte[][] values, int at,
      String what) {
    for (int i = 0; i < fields.size(); i++, at++) {
      EventField f = fields.get(i);
      if (f == null) {
        throw new TacetException(Status.INVALID_ARGUMENT, what + "[" + i + "] is null");
      }
      keys[at] = Utf8.encode(what + "[" + i + "].key", f.key());
      values[at] = f.value();
    }
    return at;
  }

  /** The outbox's counts. */
  public RecordCounts recordCounts() {
    long[] c = call(Native::recordCounts);
    return new RecordCounts(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
  }

  /**
   * One upload round now (see tacet_sync_now): blocks while it waits for the answers (closing the
   * agent from another thread ends the wait). FAILED_PRECONDITION when sync is not configured or
   * the agent is read-only; transport failures are counted in the result, not thrown.
   */
  public SyncResult syncNow() {
    long[] r = call(Native::syncNow);
    return new SyncResult(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
  }

  // ---- Vault ----------------------------------------------------------------------------------

  /**
   * Stores {@code value} in {@code category}.{@code field}: a single-valued field with a value is
   * corrected (the old one kept in its history), a log-like field gets a new entry. Returns the
   * record id. NOT_FOUND for a field the policy lacks, INVALID_ARGUMENT for a value the field
   * refuses, PERMISSION_DENIED when consent does not allow storing it.
   */
  public long vaultSet(String category, String field, String value, ChangeSource source) {
    return vaultWrite(category, field, Utf8.encode("value", value), source, false);
  }

  /** As {@link #vaultSet(String, String, String, ChangeSource)} with a value of any bytes. */
  public long vaultSet(String category, String field, byte[] value, ChangeSource source) {
    return vaultWrite(category, field, value, source, false);
  }

  /** Always a new record; ALREADY_EXISTS for a single-valued field that has one. */
  public long vaultAdd(String category, String field, String value, ChangeSource source) {
    return vaultWrite(category, field, Utf8.encode("value", value), source, true);
  }

  private long vaultWrite(String category, String field, byte[] value, ChangeSource source,
      boolean add) {
    byte[] c = Utf8.encode("category", category);
    byte[] f = Utf8.encode("field", field);
    if (value == null) throw new TacetException(Status.INVALID_ARGUMENT, "value is null");
    int so = code(source, "source");
    return call(p -> Native.vaultSet(p, c, f, value, so, add));
  }

  /** Replaces record {@code recordId}'s value, keeping the old one in its history. */
  public void vaultCorrect(long recordId, String value, ChangeSource source) {
    byte[] v = Utf8.encode("value", value);
    if (v == null) throw new TacetException(Status.INVALID_ARGUMENT, "value is null");
    int so = code(source, "source");
    run(p -> Native.vaultCorrect(p, recordId, v, so));
  }

  /** Record {@code recordId}, decrypted. NOT_FOUND; DATA_LOSS when it does not authenticate. */
  public VaultRecord vaultGet(long recordId) {
    return call(p -> Native.vaultGet(p, recordId));
  }

  /** The current records of {@code category}.{@code field}, oldest first. */
  public List<VaultRecord> vaultList(String category, String field) {
    byte[] c = Utf8.encode("category", category);
    byte[] f = Utf8.encode("field", field);
    return listOf(call(p -> Native.vaultList(p, c, f)), VaultRecord.class);
  }

  /** Every version of every record of {@code category}.{@code field}, by record then version. */
  public List<VaultVersion> vaultHistory(String category, String field) {
    byte[] c = Utf8.encode("category", category);
    byte[] f = Utf8.encode("field", field);
    return listOf(call(p -> Native.vaultHistory(p, c, f)), VaultVersion.class);
  }

  /** Erases {@code category}: records and past versions (its data key is destroyed). */
  public ErasureResult vaultErase(String category) {
    byte[] c = Utf8.encode("category", category);
    long[] r = call(p -> Native.vaultErase(p, c));
    return new ErasureResult(r[0], r[1]);
  }

  /** Erases every category and the capture access log (the consent history stays). */
  public ErasureResult vaultEraseAll() {
    long[] r = call(Native::vaultEraseAll);
    return new ErasureResult(r[0], r[1]);
  }

  /** Checks every stored value against the vault's integrity head; DATA_LOSS names a record. */
  public void verifyVault() {
    run(Native::vaultVerify);
  }

  /** Checks the audit log's hash chain and anchor; DATA_LOSS names the first bad entry. */
  public void verifyAudit() {
    run(Native::auditVerify);
  }

  // ---- Export and report ----------------------------------------------------------------------

  /**
   * Writes the user's export (JSON, docs/export.md) to a new private file (mode 0600) renamed
   * over {@code path} once complete: {@code path} is the old file or the whole export. Refused
   * inside the device folder and the key store.
   */
  public ExportSummary exportToFile(Path path) {
    byte[] b = Utf8.encode("path", path == null ? null : path.toString());
    long[] r = call(p -> Native.writeToFile(p, 0, b));
    return new ExportSummary(r[0], r[1]);
  }

  /** As {@link #exportToFile(Path)}. */
  public ExportSummary exportToFile(File path) {
    return exportToFile(path == null ? null : path.toPath());
  }

  /**
   * Streams the export to {@code out} on this thread, in pieces (the stream is not closed). An
   * exception {@code out} throws stops the export: it is thrown as the cause of a
   * {@link TacetException} (UNAVAILABLE). Inside {@code out}'s methods only reads of this agent
   * work.
   */
  public ExportSummary exportTo(OutputStream out) {
    if (out == null) throw new TacetException(Status.INVALID_ARGUMENT, "out is null");
    CallbackStream stream = new CallbackStream(out);
    long[] r = call(p -> Native.writeToStream(p, 0, stream));
    return new ExportSummary(r[0], r[1]);
  }

  /** The privacy report (a self-contained HTML page) to a file, as {@link #exportToFile}. */
  public ReportSummary reportToFile(Path path) {
    byte[] b = Utf8.encode("path", path == null ? null : path.toString());
    long[] r = call(p -> Native.writeToFile(p, 1, b));
    return new ReportSummary(r[0], r[1]);
  }

  /** The privacy report to a stream, as {@link #exportTo}. */
  public ReportSummary reportTo(OutputStream out) {
    if (out == null) throw new TacetException(Status.INVALID_ARGUMENT, "out is null");
    CallbackStream stream = new CallbackStream(out);
    long[] r = call(p -> Native.writeToStream(p, 1, stream));
    return new ReportSummary(r[0], r[1]);
  }

  // ---- Capture gates --------------------------------------------------------------------------

  /**
   * Asks to capture the microphone for {@code purposeId}. The gate checks, in order, the policy,
   * that the user provides voice data, consent, the OS microphone permission, the mute switch and
   * a free slot (4), and logs every grant and denial. Granted: a session the caller owns (close
   * it); refused: {@link CaptureDeniedException} with the reason, nothing to close.
   */
  public CaptureSession openVoiceSession(String purposeId, VoiceListener listener) {
    byte[] pu = Utf8.encode("purposeId", purposeId);
    if (listener == null) throw new TacetException(Status.INVALID_ARGUMENT, "listener is null");
    SessionTrampoline t = new SessionTrampoline(listener, null);
    long session = call(p -> Native.voiceSessionOpen(p, pu, t));
    return new CaptureSession(session, CaptureSession.VOICE);
  }

  /** What {@link #openVoiceSession} would answer now; {@link DenialReason#NONE} when allowed. */
  public DenialReason voiceCheck(String purposeId) {
    byte[] pu = Utf8.encode("purposeId", purposeId);
    return DenialReason.fromCode(call(p -> Native.voiceCheck(p, pu)));
  }

  /**
   * Pushes one frame the firmware or app captured ({@code samples.length} must be the configured
   * format's samples per frame): it reaches each open session still allowed, on this thread.
   */
  public void pushVoiceFrame(short[] samples, long captureMonotonicNs) {
    if (samples == null) throw new TacetException(Status.INVALID_ARGUMENT, "samples is null");
    run(p -> Native.voicePushFrame(p, samples, captureMonotonicNs));
  }

  /** The hardware mute switch moved; muting ends every voice session (HARDWARE_MUTED). */
  public void setHardwareMuted(boolean muted) {
    run(p -> Native.voiceSetHardwareMuted(p, muted));
  }

  /** The microphone driver failed: ends every voice session (DEVICE_ERROR), logged as such. */
  public void reportMicrophoneError() {
    run(Native::voiceReportDeviceError);
  }

  /**
   * As {@link #openVoiceSession}, for location fixes no more precise than {@code requested}
   * (APPROXIMATE or PRECISE).
   */
  public CaptureSession openLocationSession(String purposeId, LocationPrecision requested,
      LocationListener listener) {
    byte[] pu = Utf8.encode("purposeId", purposeId);
    int rq = code(requested, "requested");
    if (listener == null) throw new TacetException(Status.INVALID_ARGUMENT, "listener is null");
    SessionTrampoline t = new SessionTrampoline(null, listener);
    long session = call(p -> Native.locationSessionOpen(p, pu, rq, t));
    return new CaptureSession(session, CaptureSession.LOCATION);
  }

  /** What {@link #openLocationSession} would answer now, and the precision fixes would have. */
  public LocationCheck locationCheck(String purposeId, LocationPrecision requested) {
    byte[] pu = Utf8.encode("purposeId", purposeId);
    int rq = code(requested, "requested");
    int[] r = call(p -> Native.locationCheck(p, pu, rq));
    return new LocationCheck(DenialReason.fromCode(r[0]), LocationPrecision.fromCode(r[1]));
  }

  /**
   * Pushes a fix: it reaches each open, allowed session at its allowed precision, on this thread.
   * INVALID_ARGUMENT for coordinates out of range, NaN or a negative accuracy.
   */
  public void pushLocationFix(LocationFix fix) {
    if (fix == null) throw new TacetException(Status.INVALID_ARGUMENT, "fix is null");
    run(p -> Native.locationPushFix(p, fix.latitudeDeg(), fix.longitudeDeg(), fix.accuracyM(),
        fix.unixMs()));
  }

  /**
   * The OS permission state the gates see ({@code precision}: APPROXIMATE or PRECISE for a
   * granted location, else NONE). A loss ends the sessions it no longer allows, on this thread.
   */
  public void setOsPermission(OsPermission permission, PermissionState state,
      LocationPrecision precision) {
    if (permission == null || state == null) {
      throw new TacetException(Status.INVALID_ARGUMENT, "permission or state is null");
    }
    int pr = code(precision, "precision");
    run(p -> Native.setOsPermission(p, permission.code(), state.code(), pr));
  }

  private static <T> List<T> listOf(Object[] items, Class<T> type) {
    List<T> out = new ArrayList<>(items.length);
    for (Object o : items) out.add(type.cast(o));
    return Collections.unmodifiableList(out);
  }
}
