// The capture gates: voice and location sessions, fed by the app or firmware.
internal import CTacet

/// A location fix (WGS 84).
public struct LocationFix: Sendable, Hashable {
  public var latitudeDegrees: Double
  public var longitudeDegrees: Double
  public var accuracyMeters: Double
  public var unixMs: Int64
  public init(latitudeDegrees: Double, longitudeDegrees: Double, accuracyMeters: Double,
              unixMs: Int64) {
    self.latitudeDegrees = latitudeDegrees
    self.longitudeDegrees = longitudeDegrees
    self.accuracyMeters = accuracyMeters
    self.unixMs = unixMs
  }
  init(_ c: tacet_location_fix) {
    self.init(latitudeDegrees: c.latitude_deg, longitudeDegrees: c.longitude_deg,
              accuracyMeters: c.accuracy_m, unixMs: c.unix_ms)
  }
  var c: tacet_location_fix {
    tacet_location_fix(latitude_deg: latitudeDegrees, longitude_deg: longitudeDegrees,
                       accuracy_m: accuracyMeters, unix_ms: unixMs)
  }
}

/// A refused capture: `.permissionDenied` with the gate's reason.
public struct CaptureDenied: Error, Sendable, Hashable, CustomStringConvertible {
  public let reason: DenialReason
  public let error: TacetError
  public var description: String { "\(reason): \(error)" }
}

/// A granted voice capture (`tacet_voice_session_t`). Frames reach `onFrame` until the session
/// ends: by `end()`, or by the agent (revocation, permission loss, mute, device error, close),
/// which calls `onEnded` once with the reason. `deinit` ends it and frees the handle, which
/// releases the closures (released inside one of the library's callbacks, its own included, the
/// free runs on another thread once the callback returns). Free sessions promptly: an ended session keeps its slot (4 per gate)
/// until freed.
public final class VoiceSession: @unchecked Sendable {
  // @unchecked: the immutable handle is usable from any thread (C API); freed only in deinit.
  private let handle: OpaquePointer
  fileprivate init(_ handle: OpaquePointer) { self.handle = handle }
  deinit {
    let handle = self.handle
    freeFromDeinit { tacet_voice_session_free(handle) }
  }

  /// Ends delivery; once it returns no frame callback starts. Idempotent. Callback-safe.
  public func end() throws { try check(tacet_voice_session_end(handle)) }
  /// `.none` while open, else why it ended.
  public var endReason: EndReason {
    var reason = TACET_END_NONE
    _ = tacet_voice_session_state(handle, &reason, nil)
    return EndReason(reason)
  }
  /// Frames delivered so far.
  public var framesDelivered: UInt64 {
    var count: UInt64 = 0
    _ = tacet_voice_session_state(handle, nil, &count)
    return count
  }
}

/// A granted location capture; as `VoiceSession`, for fixes.
public final class LocationSession: @unchecked Sendable {
  private let handle: OpaquePointer
  fileprivate init(_ handle: OpaquePointer) { self.handle = handle }
  deinit {
    let handle = self.handle
    freeFromDeinit { tacet_location_session_free(handle) }
  }

  public func end() throws { try check(tacet_location_session_end(handle)) }
  public var endReason: EndReason {
    var reason = TACET_END_NONE
    _ = tacet_location_session_state(handle, &reason, nil)
    return EndReason(reason)
  }
  public var fixesDelivered: UInt64 {
    var count: UInt64 = 0
    _ = tacet_location_session_state(handle, nil, &count)
    return count
  }
}

extension Agent {
  /// Sets the OS permission state the gates see (without a permissions table). `precision` must
  /// be `.approximate` or `.precise` for a granted location and `.none` otherwise. A loss ends
  /// the sessions it no longer allows (their `onEnded` runs on this thread).
  public func setOSPermission(_ permission: OSPermission, _ state: PermissionState,
                              precision: LocationPrecision = .none) throws {
    try check(tacet_agent_set_os_permission(handle, permission.c, state.c, precision.c))
  }

  /// Asks to capture the microphone for `purpose`. Throws `CaptureDenied` (with the gate's
  /// reason) when refused, `TacetError` for other failures.
  ///
  /// `onFrame` gets each frame's samples (valid only during the call: copy what you keep) and
  /// its capture time, on the thread calling `pushVoiceFrame`. `onEnded` runs once if the agent
  /// ends the session, on the thread that caused it. Neither may call non-callback-safe methods.
  public func openVoiceSession(
    purpose: String,
    onEnded: (@Sendable (EndReason) -> Void)? = nil,
    onFrame: @escaping @Sendable (UnsafeBufferPointer<Int16>, _ captureMonotonicNs: Int64) -> Void
  ) throws -> VoiceSession {
    let box = Unmanaged.passRetained(SessionBox(frame: onFrame, fix: nil, ended: onEnded))
    var callbacks = tacet_voice_callbacks(
      struct_size: UInt32(MemoryLayout<tacet_voice_callbacks>.size), on_frame: frameTrampoline,
      on_ended: endedTrampoline, user_data: box.toOpaque(), free_user_data: releaseSessionBox)
    var session: OpaquePointer?
    var denial = TACET_DENIAL_NONE
    let status = try withCString(purpose, argument: "purpose", in: "openVoiceSession") {
      tacet_voice_session_open(handle, $0, &callbacks, &session, &denial)
    }
    return VoiceSession(try granted(status, session, denial, box))
  }

  /// What `openVoiceSession` would answer now, without capturing or logging. Callback-safe.
  public func voiceCheck(purpose: String) throws -> DenialReason {
    var denial = TACET_DENIAL_NONE
    let status = try withCString(purpose, argument: "purpose", in: "voiceCheck") {
      tacet_voice_check(handle, $0, &denial)
    }
    if status != TACET_OK && status != TACET_ERR_PERMISSION_DENIED {
      throw TacetError(lastCall: status)
    }
    return DenialReason(denial)
  }

  /// Pushes one captured frame (exactly one frame of the configured format) to the open sessions
  /// still allowed. Call from the audio thread.
  public func pushVoiceFrame(_ samples: UnsafeBufferPointer<Int16>, captureMonotonicNs: Int64)
    throws
  {
    guard let base = samples.baseAddress else {
      throw TacetError.invalidArgument("pushVoiceFrame", "samples is empty")
    }
    try check(tacet_voice_push_frame(handle, base, samples.count, captureMonotonicNs))
  }

  /// As `pushVoiceFrame(_:captureMonotonicNs:)`, from an array.
  public func pushVoiceFrame(_ samples: [Int16], captureMonotonicNs: Int64) throws {
    try samples.withUnsafeBufferPointer {
      try pushVoiceFrame($0, captureMonotonicNs: captureMonotonicNs)
    }
  }

  /// The hardware mute switch moved; muting ends every voice session.
  public func setHardwareMuted(_ muted: Bool) throws {
    try check(tacet_voice_set_hardware_muted(handle, muted ? 1 : 0))
  }

  /// Asks for location fixes for `purpose` at no more than `requested`; as `openVoiceSession`.
  /// `onFix` gets each fix already coarsened, with its precision.
  public func openLocationSession(
    purpose: String, requested: LocationPrecision,
    onEnded: (@Sendable (EndReason) -> Void)? = nil,
    onFix: @escaping @Sendable (LocationFix, LocationPrecision) -> Void
  ) throws -> LocationSession {
    let box = Unmanaged.passRetained(SessionBox(frame: nil, fix: onFix, ended: onEnded))
    var callbacks = tacet_location_callbacks(
      struct_size: UInt32(MemoryLayout<tacet_location_callbacks>.size), on_fix: fixTrampoline,
      on_ended: endedTrampoline, user_data: box.toOpaque(), free_user_data: releaseSessionBox)
    var session: OpaquePointer?
    var denial = TACET_DENIAL_NONE
    let status = try withCString(purpose, argument: "purpose", in: "openLocationSession") {
      tacet_location_session_open(handle, $0, requested.c, &callbacks, &session, &denial)
    }
    return LocationSession(try granted(status, session, denial, box))
  }

  /// Pushes a fix to the open, allowed location sessions. `.invalidArgument` for coordinates out
  /// of range, NaN or a negative accuracy.
  public func pushLocationFix(_ fix: LocationFix) throws {
    var c = fix.c
    try check(tacet_location_push_fix(handle, &c))
  }

  /// The session handle of a granted open; otherwise releases the closures (a refused open never
  /// calls free_user_data) and throws.
  private func granted(_ status: tacet_status, _ session: OpaquePointer?,
                       _ denial: tacet_denial_reason, _ box: Unmanaged<SessionBox>) throws
    -> OpaquePointer
  {
    if status == TACET_OK, let session { return session }
    let error = status == TACET_OK
      ? TacetError(code: .internal, message: "session open returned no session")
      : TacetError(lastCall: status)
    box.release()
    if status == TACET_ERR_PERMISSION_DENIED {
      throw CaptureDenied(reason: DenialReason(denial), error: error)
    }
    throw error
  }
}

/// A session's closures, retained once for its C context, released by free_user_data.
final class SessionBox: Sendable {
  let frame: (@Sendable (UnsafeBufferPointer<Int16>, Int64) -> Void)?
  let fix: (@Sendable (LocationFix, LocationPrecision) -> Void)?
  let ended: (@Sendable (EndReason) -> Void)?
  init(frame: (@Sendable (UnsafeBufferPointer<Int16>, Int64) -> Void)?,
       fix: (@Sendable (LocationFix, LocationPrecision) -> Void)?,
       ended: (@Sendable (EndReason) -> Void)?) {
    self.frame = frame
    self.fix = fix
    self.ended = ended
  }
}

private func frameTrampoline(_ samples: UnsafePointer<Int16>?, _ count: Int, _ time: Int64,
                             _ userData: UnsafeMutableRawPointer?) {
  guard let userData else { return }
  Unmanaged<SessionBox>.fromOpaque(userData).takeUnretainedValue()
    .frame?(UnsafeBufferPointer(start: samples, count: samples == nil ? 0 : count), time)
}

private func fixTrampoline(_ fix: UnsafePointer<tacet_location_fix>?,
                           _ precision: tacet_location_precision,
                           _ userData: UnsafeMutableRawPointer?) {
  guard let userData, let fix else { return }
  Unmanaged<SessionBox>.fromOpaque(userData).takeUnretainedValue()
    .fix?(LocationFix(fix.pointee), LocationPrecision(precision))
}

private func endedTrampoline(_ reason: tacet_end_reason, _ userData: UnsafeMutableRawPointer?) {
  guard let userData else { return }
  Unmanaged<SessionBox>.fromOpaque(userData).takeUnretainedValue().ended?(EndReason(reason))
}

private func releaseSessionBox(_ userData: UnsafeMutableRawPointer?) {
  guard let userData else { return }
  Unmanaged<SessionBox>.fromOpaque(userData).release()
}
