// The agent: options, open, close, and consent (decisions, history, receipts, listeners).
internal import CTacet

/// How to open an agent. A value: build it, then pass it to `Agent(options:)`, which copies it
/// into a `tacet_options_t` for the one call to `tacet_agent_open` and frees that at once.
public struct AgentOptions: Sendable {
  /// The device folder (holds tacet.db, its lock and, by default, keys/).
  public var dataDirectory: String
  /// Create the device when the folder holds none (default). False: a missing device is
  /// `.notFound`.
  public var create: Bool = true
  /// Open for reading only: every call that writes fails with `.failedPrecondition`.
  public var readOnly: Bool = false
  /// Where the default key store keeps the secrets, instead of `<dataDirectory>/keys`.
  public var keyStoreDirectory: String?
  public var logLevel: LogLevel = .info
  /// How long open waits for another owner of the folder (0 ... 600000 ms); nil: 5000.
  public var lockTimeoutMilliseconds: Int32?
  /// The backend's policy-signing key (65-byte uncompressed P-256 point).
  public var policyUpdateKey: [UInt8]?
  /// Uploads over Oblivious HTTP; nil: no sync (`syncNow` is then `.failedPrecondition`).
  public var sync: SyncConfiguration?
  /// The format of the frames `pushVoiceFrame` takes; nil: 16 kHz mono 20 ms.
  public var audioFormat: AudioFormat?
  /// The app's key store (on iOS, the Keychain) instead of files under `keyStoreDirectory`
  /// (setting both is `.invalidArgument`). Kept by the agent until it is freed.
  public var keyStore: (any KeyStore)?
  /// Where diagnostics go instead of standard error. Kept by the agent until it is freed.
  public var logger: Logger?

  public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
}

/// The PCM format the firmware or app pushes (8000...48000 Hz, 1...2 channels, 10...100 ms).
public struct AudioFormat: Sendable, Hashable {
  public var sampleRateHz: Int32
  public var channels: Int32
  public var frameMilliseconds: Int32
  public init(sampleRateHz: Int32, channels: Int32, frameMilliseconds: Int32) {
    self.sampleRateHz = sampleRateHz
    self.channels = channels
    self.frameMilliseconds = frameMilliseconds
  }
}

/// Where and how recorded events are uploaded (`tacet_sync_config`).
public struct SyncConfiguration: Sendable, Hashable {
  /// "https://host:port/path" of the OHTTP relay (or the gateway's /gateway).
  public var url: String
  /// The gateway's key configuration (RFC 9458 section 3.1), pinned.
  public var keyConfiguration: [UInt8]
  /// Exactly 32 bytes: the SHA-256 of the server's SubjectPublicKeyInfo; or nil with `caPEM`.
  public var spkiSHA256: [UInt8]?
  /// Trust anchors (PEM): chain and host name checked.
  public var caPEM: String?
  /// nil: "collector.tacet.invalid".
  public var gatewayAuthority: String?
  /// 0: 500.
  public var maxEventsPerBatch: UInt32 = 0
  /// Background uploads every interval; 0: only `syncNow`.
  public var intervalMilliseconds: Int64 = 0
  /// Per attempt; 0: 10000.
  public var timeoutMilliseconds: Int32 = 0

  public init(url: String, keyConfiguration: [UInt8], spkiSHA256: [UInt8]? = nil,
              caPEM: String? = nil) {
    self.url = url
    self.keyConfiguration = keyConfiguration
    self.spkiSHA256 = spkiSHA256
    self.caPEM = caPEM
  }
}

/// What a signed policy update changed.
public struct PolicyUpdate: Sendable, Hashable {
  public var oldVersion: UInt64
  public var newVersion: UInt64
  /// Purposes whose consent must now be asked (new ones, and the ones the update widened).
  public var purposesToAsk: [String]
  /// The controller changed: disclosures stop until `acknowledgeControllerNotice()`.
  public var controllerNoticeRequired: Bool
}

/// Identifies a consent listener for `Agent.removeConsentListener(_:)`.
public struct ConsentListenerID: Sendable, Hashable {
  public let rawValue: UInt64
}

/// An open device: one `tacet_agent_t`.
///
/// Ownership: the agent owns its handle. `close()` closes the device (idempotent); every later
/// call throws `.failedPrecondition` ("the agent is closed"). `deinit` closes and frees the
/// handle, so an agent dropped without `close()` releases the folder's lock too.
///
/// Threads: every method may be called from any thread, also concurrently (the C agent
/// serialises its storage work), hence `Sendable`. Callbacks (consent listeners, frames, fixes,
/// session ends) run on the thread that caused them, never on a queue of the binding: dispatch
/// to the main actor yourself for UI work. Inside a callback only reads work (`consent(of:)`,
/// `locationPrecision()`, the gate checks, ending a session); any other call throws
/// `.failedPrecondition` ("called from inside a Tacet callback") instead of deadlocking.
///
/// A callback that holds the agent strongly keeps it alive until the listener is removed or
/// the agent closed: capture it `weak` or call `close()`.
public final class Agent: @unchecked Sendable {
  // @unchecked: the only state is the immutable handle, which the C API lets any thread use at
  // once; it is freed only in deinit, when no other reference (so no call in flight) is left.
  let handle: OpaquePointer
  /// The context of the key store and logger tables: released after the handle is freed.
  private let platform: PlatformBox?

  /// Opens the device `options` describes (`tacet_agent_open`).
  /// Throws `.invalidArgument` for bad options, `.unavailable` when another agent or process owns
  /// the folder, `.notFound` for a missing device without `create`, `.failedPrecondition` for a
  /// key store that is not the device's, `.dataLoss` for a damaged device.
  public init(options: AgentOptions) throws {
    let fn = "Agent(options:)"
    if tacet_abi_version() != UInt32(TACET_ABI_VERSION) {
      throw TacetError(code: .failedPrecondition, message: "\(fn): the Tacet library has ABI "
        + "version \(tacet_abi_version()); this binding was built for \(TACET_ABI_VERSION)")
    }
    var cOptions: OpaquePointer?
    try check(tacet_options_new(&cOptions))
    defer { tacet_options_free(cOptions) }
    try withCString(options.dataDirectory, argument: "dataDirectory", in: fn) {
      try check(tacet_options_set_data_dir(cOptions, $0))
    }
    if let keyStore = options.keyStoreDirectory {
      try withCString(keyStore, argument: "keyStoreDirectory", in: fn) {
        try check(tacet_options_set_key_store_dir(cOptions, $0))
      }
    }
    try check(tacet_options_set_create(cOptions, options.create ? 1 : 0))
    try check(tacet_options_set_read_only(cOptions, options.readOnly ? 1 : 0))
    try check(tacet_options_set_log_level(cOptions, options.logLevel.c))
    if let timeout = options.lockTimeoutMilliseconds {
      try check(tacet_options_set_lock_timeout_ms(cOptions, timeout))
    }
    if let key = options.policyUpdateKey {
      try key.withUnsafeBufferPointer {
        try check(tacet_options_set_policy_update_key(cOptions, $0.baseAddress, $0.count))
      }
    }
    if let format = options.audioFormat {
      try check(tacet_options_set_audio_format(cOptions, format.sampleRateHz, format.channels,
                                               format.frameMilliseconds))
    }
    if let sync = options.sync { try Agent.setSync(sync, on: cOptions, in: fn) }
    let platform = options.keyStore == nil && options.logger == nil
      ? nil : PlatformBox(keyStore: options.keyStore, logger: options.logger)
    try platform?.register(on: cOptions)
    var agent: OpaquePointer?
    try check(tacet_agent_open(cOptions, &agent))
    guard let agent else {
      throw TacetError(code: .internal, message: "tacet_agent_open returned no agent")
    }
    handle = agent
    self.platform = platform
  }

  private static func setSync(_ sync: SyncConfiguration, on options: OpaquePointer?,
                              in fn: String) throws {
    if let pin = sync.spkiSHA256, pin.count != 32 {
      // The C struct carries no length: a shorter array would be read past its end.
      throw TacetError.invalidArgument(fn, "sync.spkiSHA256 has \(pin.count) bytes, not 32")
    }
    let arena = CArena()
    try withExtendedLifetime(arena) {
      var config = tacet_sync_config()
      config.struct_size = UInt32(MemoryLayout<tacet_sync_config>.size)
      config.url = try arena.cString(sync.url, argument: "sync.url", in: fn)
      config.spki_sha256 = sync.spkiSHA256.flatMap { arena.bytes($0) }
        .map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
      config.ca_pem = try sync.caPEM.map { try arena.cString($0, argument: "sync.caPEM", in: fn) }
      config.key_config = arena.bytes(sync.keyConfiguration)
        .map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
      config.key_config_len = sync.keyConfiguration.count
      config.gateway_authority = try sync.gatewayAuthority.map {
        try arena.cString($0, argument: "sync.gatewayAuthority", in: fn)
      }
      config.max_events_per_batch = sync.maxEventsPerBatch
      config.interval_ms = sync.intervalMilliseconds
      config.timeout_ms = sync.timeoutMilliseconds
      try check(tacet_options_set_sync(options, &config))
    }
  }

  deinit {
    // Closes first. Released inside a Tacet callback (another agent's listener, a session's
    // callback), the free runs on another thread once the callback returns; the platform box
    // (the tables' context) is kept until the handle is freed.
    let handle = self.handle
    freeFromDeinit({ tacet_agent_free(handle) }, keepAlive: platform)
  }

  /// Ends every capture session (their `onEnded` hears `.agentClosed`), removes every consent
  /// listener (releasing its closure), closes the database and releases the folder's lock.
  /// Idempotent. Later calls throw `.failedPrecondition`.
  public func close() throws {
    try check(tacet_agent_close(handle))
  }

  /// The library's version ("MAJOR.MINOR.PATCH").
  public static var libraryVersion: String { String(cString: tacet_version()) }

  // MARK: Policy

  /// The active policy's id.
  public func policyID() throws -> String {
    var id: UnsafeMutablePointer<CChar>?
    try check(tacet_policy_id(handle, &id))
    defer { tacet_free(id) }
    return string(id)
  }

  /// The active policy's version.
  public func policyVersion() throws -> UInt64 {
    var version: UInt64 = 0
    try check(tacet_policy_version(handle, &version))
    return version
  }

  /// Verifies `signatureDER` (ECDSA P-256 over SHA-256) over `policy` with
  /// `AgentOptions.policyUpdateKey`, then applies the policy at once. Throws
  /// `.failedPrecondition` without a key, `.permissionDenied` for a bad signature,
  /// `.invalidArgument` for a malformed policy, `.outOfRange` for a version not newer than the
  /// current one; on any error nothing changed.
  public func applyPolicyUpdate(_ policy: [UInt8], signatureDER: [UInt8]) throws -> PolicyUpdate {
    var result: UnsafeMutablePointer<tacet_policy_update_result>?
    try policy.withUnsafeBufferPointer { p in
      try signatureDER.withUnsafeBufferPointer { s in
        try check(tacet_policy_apply_update(handle, p.baseAddress, p.count, s.baseAddress, s.count,
                                            &result))
      }
    }
    defer { tacet_free(result) }
    guard let r = result?.pointee else {
      throw TacetError(code: .internal, message: "tacet_policy_apply_update returned no result")
    }
    return PolicyUpdate(oldVersion: r.old_version, newVersion: r.new_version,
                        purposesToAsk: strings(r.purposes_to_ask),
                        controllerNoticeRequired: r.controller_notice_required != 0)
  }

  /// Whether a controller-change notice awaits the user's acknowledgement (disclosures stop
  /// until then).
  public func controllerNoticePending() throws -> Bool {
    var pending: Int32 = 0
    try check(tacet_policy_controller_notice_pending(handle, &pending))
    return pending != 0
  }

  /// The user acknowledged the controller-change notice.
  public func acknowledgeControllerNotice() throws {
    try check(tacet_policy_acknowledge_controller_notice(handle))
  }

  // MARK: Consent

  /// The current decision about `subject`. `.notFound` when the policy has none. Callback-safe.
  public func consent(of subject: ConsentSubject) throws -> ConsentState {
    var state = TACET_CONSENT_UNKNOWN
    try withOptionalCString(subject.id, argument: "id", in: "consent(of:)") {
      try check(tacet_consent_get(handle, subject.kind, $0, &state))
    }
    return ConsentState(state)
  }

  /// The location precision the user allows (`.none` until they chose). Callback-safe.
  public func locationPrecision() throws -> LocationPrecision {
    var precision = TACET_PRECISION_NONE
    try check(tacet_consent_location_precision(handle, &precision))
    return LocationPrecision(precision)
  }

  /// Every purpose, channel or category of the active policy, in policy order, with its state.
  public func consentItems(_ kind: ConsentItemKind) throws -> [ConsentItem] {
    var list: UnsafeMutablePointer<tacet_consent_list>?
    try check(tacet_consent_items(handle, kind.c, &list))
    defer { tacet_free(list) }
    guard let list, let items = list.pointee.items else { return [] }
    return (0..<list.pointee.count).map { ConsentItem(items[$0]) }
  }

  /// The purposes to ask the user about: askable and never decided.
  public func purposesToAsk() throws -> [String] {
    try consentItems(.purposes).filter { $0.askable && $0.state == .unknown }.map(\.id)
  }

  /// Records the user's (or `source`'s) decision about a purpose. Listeners hear of it before
  /// this returns, on this thread. `.notFound` for a purpose the policy lacks;
  /// `.failedPrecondition` for refusing a purpose that cannot be refused.
  public func setPurpose(_ id: String, _ state: ConsentState, source: DecisionSource = .user)
    throws
  {
    try withCString(id, argument: "purpose", in: "setPurpose") {
      try check(tacet_consent_set_purpose(handle, $0, state.c, source.c))
    }
  }

  /// Records a decision about a communication channel.
  public func setChannel(_ id: String, _ state: ConsentState, source: DecisionSource = .user)
    throws
  {
    try withCString(id, argument: "channel", in: "setChannel") {
      try check(tacet_consent_set_channel(handle, $0, state.c, source.c))
    }
  }

  /// Records whether the user provides an optional data category.
  public func setCategoryProvided(_ id: String, _ provided: Bool,
                                  source: DecisionSource = .user) throws {
    try withCString(id, argument: "category", in: "setCategoryProvided") {
      try check(tacet_consent_set_category_provided(handle, $0, provided ? 1 : 0, source.c))
    }
  }

  /// Records the location precision the user allows (`.none` turns location off).
  public func setLocationPrecision(_ precision: LocationPrecision,
                                   source: DecisionSource = .user) throws {
    try check(tacet_consent_set_location_precision(handle, precision.c, source.c))
  }

  /// The consent history in seq order, or only `subject`'s ("purpose:<id>", "location", ...).
  public func consentHistory(subject: String? = nil) throws -> [ConsentEntry] {
    var entries: [ConsentEntry] = []
    try withOptionalCString(subject, argument: "subject", in: "consentHistory") { cSubject in
      try withUnsafeMutablePointer(to: &entries) { out in
        try check(tacet_consent_history(handle, cSubject, { entry, userData in
          guard let entry, let userData else { return 1 }
          userData.assumingMemoryBound(to: [ConsentEntry].self).pointee
            .append(ConsentEntry(entry.pointee))
          return 0
        }, out))
      }
    }
    return entries
  }

  /// The receipt (JSON) of history entry `seq`, after checking its hash. `.notFound`, `.dataLoss`.
  public func consentReceipt(seq: Int64) throws -> String {
    var json: UnsafeMutablePointer<CChar>?
    try check(tacet_consent_receipt(handle, seq, &json))
    defer { tacet_free(json) }
    return string(json)
  }

  /// Recomputes the consent history's hash chain. `.dataLoss` naming the first bad entry.
  public func verifyConsent() throws { try check(tacet_consent_verify(handle)) }

  /// Every feature the policy names, with whether the user's choices leave it available.
  public func features() throws -> [Feature] {
    var list: UnsafeMutablePointer<tacet_feature_list>?
    try check(tacet_features(handle, &list))
    defer { tacet_free(list) }
    guard let list, let items = list.pointee.items else { return [] }
    return (0..<list.pointee.count).map { Feature(items[$0]) }
  }

  /// Calls `listener` after every committed consent change with the change's generation (which
  /// grows with each change).
  ///
  /// Thread: the one that made the change (inside `setPurpose` and the like), possibly not the
  /// one that registered the listener; calls are serialised. Inside, only the callback-safe reads
  /// work. An error the listener throws is caught at the boundary (it never reaches C) and
  /// passed to `onError` when given, on the same thread. The closures are retained until
  /// `removeConsentListener` or `close()` (or the agent's deinit), then released.
  @discardableResult
  public func addConsentListener(
    onError: (@Sendable (any Error) -> Void)? = nil,
    _ listener: @escaping @Sendable (_ generation: UInt64) throws -> Void
  ) throws -> ConsentListenerID {
    let box = Unmanaged.passRetained(ListenerBox(listener: listener, onError: onError))
    var id: UInt64 = 0
    let status = tacet_consent_add_listener(handle, consentListenerTrampoline, box.toOpaque(),
                                            releaseListenerBox, &id)
    if status != TACET_OK {
      let error = TacetError(lastCall: status)
      box.release()  // a refused registration keeps nothing (it never calls free_user_data)
      throw error
    }
    return ConsentListenerID(rawValue: id)
  }

  /// Removes a listener: once this returns it is not called again, and its closures are
  /// released. `.notFound` for an unknown (or already removed) id.
  public func removeConsentListener(_ id: ConsentListenerID) throws {
    try check(tacet_consent_remove_listener(handle, id.rawValue))
  }
}

/// What a consent listener's C context points to (retained once, released by free_user_data).
final class ListenerBox: Sendable {
  let listener: @Sendable (UInt64) throws -> Void
  let onError: (@Sendable (any Error) -> Void)?
  init(listener: @escaping @Sendable (UInt64) throws -> Void,
       onError: (@Sendable (any Error) -> Void)?) {
    self.listener = listener
    self.onError = onError
  }
}

private func consentListenerTrampoline(_ generation: UInt64, _ userData: UnsafeMutableRawPointer?) {
  guard let userData else { return }
  let box = Unmanaged<ListenerBox>.fromOpaque(userData).takeUnretainedValue()
  do {
    try box.listener(generation)
  } catch {
    box.onError?(error)
  }
}

private func releaseListenerBox(_ userData: UnsafeMutableRawPointer?) {
  guard let userData else { return }
  Unmanaged<ListenerBox>.fromOpaque(userData).release()
}
