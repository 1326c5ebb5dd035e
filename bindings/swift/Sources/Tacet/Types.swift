// The vocabulary of tacet.h as Swift value types. Enums the app passes in and whose set is fixed
// are Swift enums; codes the library hands back and may extend in a later version are open
// structs (RawRepresentable with static members), so a newer library never traps this binding.
internal import CTacet

/// A consent decision. For optional data categories `.granted` means "provided".
/// `.unknown` (never asked) is never treated as granted.
public enum ConsentState: Int32, Sendable, CaseIterable, CustomStringConvertible {
  case unknown = 0
  case granted = 1
  case denied = 2

  /// Reads a state from C; a value this binding does not know reads as `.unknown`.
  init(_ c: tacet_consent_state) { self = ConsentState(rawValue: Int32(c.rawValue)) ?? .unknown }
  var c: tacet_consent_state { tacet_consent_state(rawValue: numericCast(rawValue)) }
  public var description: String { String(cString: tacet_consent_state_name(c)) }
}

/// How precise a location may be.
public enum LocationPrecision: Int32, Sendable, CaseIterable, CustomStringConvertible {
  case none = 0
  case approximate = 1
  case precise = 2

  /// A value this binding does not know reads as `.none`.
  init(_ c: tacet_location_precision) {
    self = LocationPrecision(rawValue: Int32(c.rawValue)) ?? .none
  }
  var c: tacet_location_precision { tacet_location_precision(rawValue: numericCast(rawValue)) }
  public var description: String { String(cString: tacet_location_precision_name(c)) }
}

/// Diagnostics below this level are dropped (`.none` drops everything).
public enum LogLevel: Int32, Sendable, CaseIterable {
  case debug = 0, info, warning, error, none
  var c: tacet_log_level { tacet_log_level(rawValue: numericCast(rawValue)) }
}

/// An OS permission the capture gates depend on.
public enum OSPermission: Int32, Sendable, CaseIterable {
  case microphone = 0, location
  var c: tacet_os_permission { tacet_os_permission(rawValue: numericCast(rawValue)) }
}

/// What the OS allows. `.notDetermined` is never treated as granted.
public enum PermissionState: Int32, Sendable, CaseIterable {
  case notDetermined = 0, denied, granted
  var c: tacet_permission_state { tacet_permission_state(rawValue: numericCast(rawValue)) }
}

/// What a consent decision is about, with its id.
public enum ConsentSubject: Sendable, Hashable {
  case purpose(String)
  case channel(String)
  case category(String)
  /// The location precision the user allows (state `.granted` when some precision is allowed).
  case location

  var kind: tacet_subject_kind {
    switch self {
    case .purpose: TACET_SUBJECT_PURPOSE
    case .channel: TACET_SUBJECT_CHANNEL
    case .category: TACET_SUBJECT_CATEGORY
    case .location: TACET_SUBJECT_LOCATION
    }
  }
  var id: String? {
    switch self {
    case .purpose(let id), .channel(let id), .category(let id): id
    case .location: nil
    }
  }
}

/// The kinds of subject `Agent.consentItems(_:)` lists.
public enum ConsentItemKind: Sendable, CaseIterable {
  case purposes, channels, categories
  var c: tacet_subject_kind {
    switch self {
    case .purposes: TACET_SUBJECT_PURPOSE
    case .channels: TACET_SUBJECT_CHANNEL
    case .categories: TACET_SUBJECT_CATEGORY
    }
  }
}

/// Where a consent decision came from (stored in the history). Open: a newer library may add
/// sources.
public struct DecisionSource: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static let user = DecisionSource(rawValue: 1)
  public static let osPermission = DecisionSource(rawValue: 2)
  public static let policyUpdate = DecisionSource(rawValue: 3)
  public static let `import` = DecisionSource(rawValue: 4)
  public static let policyDefault = DecisionSource(rawValue: 5)

  init(_ c: tacet_decision_source) { rawValue = Int32(c.rawValue) }
  var c: tacet_decision_source { tacet_decision_source(rawValue: numericCast(UInt32(bitPattern: rawValue))) }
  public var description: String { String(cString: tacet_decision_source_name(c)) }
}

/// Who wrote a vault value. Open: a newer library may add sources.
public struct ChangeSource: RawRepresentable, Sendable, Hashable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static let user = ChangeSource(rawValue: 0)
  public static let app = ChangeSource(rawValue: 1)
  public static let service = ChangeSource(rawValue: 2)
  public static let `import` = ChangeSource(rawValue: 3)

  init(_ c: tacet_change_source) { rawValue = Int32(c.rawValue) }
  var c: tacet_change_source { tacet_change_source(rawValue: numericCast(UInt32(bitPattern: rawValue))) }
}

/// Why a capture session was refused (`tacet_denial_reason`). Open: a newer library may add
/// reasons; `description` is the library's stable name ("consent_unknown", ...).
public struct DenialReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static let none = DenialReason(rawValue: 0)
  public static let purposeNotAllowedByPolicy = DenialReason(rawValue: 1)
  public static let voiceDataNotProvided = DenialReason(rawValue: 2)
  public static let locationDataNotProvided = DenialReason(rawValue: 3)
  public static let consentUnknown = DenialReason(rawValue: 4)
  public static let noConsent = DenialReason(rawValue: 5)
  public static let osPermissionDenied = DenialReason(rawValue: 6)
  public static let hardwareMuted = DenialReason(rawValue: 7)
  public static let tooManySessions = DenialReason(rawValue: 8)
  public static let deviceUnavailable = DenialReason(rawValue: 9)
  public static let accessLogUnavailable = DenialReason(rawValue: 10)
  public static let invalidRequest = DenialReason(rawValue: 11)
  public static let notACollectionBasis = DenialReason(rawValue: 12)

  init(_ c: tacet_denial_reason) { rawValue = Int32(c.rawValue) }
  var c: tacet_denial_reason { tacet_denial_reason(rawValue: numericCast(UInt32(bitPattern: rawValue))) }
  public var description: String { String(cString: tacet_denial_reason_name(c)) }
}

/// Why a capture session ended (`tacet_end_reason`). Open, as `DenialReason`.
public struct EndReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static let none = EndReason(rawValue: 0)
  public static let completedByCaller = EndReason(rawValue: 1)
  public static let consentWithdrawn = EndReason(rawValue: 2)
  public static let osPermissionLost = EndReason(rawValue: 3)
  public static let hardwareMuted = EndReason(rawValue: 4)
  public static let deviceError = EndReason(rawValue: 5)
  public static let agentClosed = EndReason(rawValue: 6)

  init(_ c: tacet_end_reason) { rawValue = Int32(c.rawValue) }
  var c: tacet_end_reason { tacet_end_reason(rawValue: numericCast(UInt32(bitPattern: rawValue))) }
  public var description: String { String(cString: tacet_end_reason_name(c)) }
}

/// One purpose, channel or category of the policy with its current decision.
public struct ConsentItem: Sendable, Hashable {
  public var id: String
  public var displayName: String
  public var description: String
  public var state: ConsentState
  /// Where the current state came from.
  public var source: DecisionSource
  /// Whether the user may refuse it (purposes), decline it (categories); channels always.
  public var askable: Bool
  /// Purposes: "consent", "contract", "legitimate_interest" or "legal_obligation"; else "".
  public var legalBasis: String

  init(_ c: tacet_consent_item) {
    id = string(c.id)
    displayName = string(c.display_name)
    description = string(c.description)
    state = ConsentState(c.state)
    source = DecisionSource(c.source)
    askable = c.askable != 0
    legalBasis = string(c.legal_basis)
  }
}

/// One entry of the consent history (hash-chained).
public struct ConsentEntry: Sendable, Hashable {
  public var seq: Int64
  /// "purpose:<id>", "channel:<id>", "category:<id>" or "location".
  public var subject: String
  public var state: ConsentState
  /// `.none` except for "location".
  public var precision: LocationPrecision
  public var timeUnixMs: Int64
  public var policyID: String
  public var policyVersion: UInt64
  public var policyHash: [UInt8]
  public var source: DecisionSource
  public var entryHash: [UInt8]

  init(_ c: tacet_consent_entry) {
    seq = c.seq
    subject = string(c.subject)
    state = ConsentState(c.state)
    precision = LocationPrecision(c.precision)
    timeUnixMs = c.time_unix_ms
    policyID = string(c.policy_id)
    policyVersion = c.policy_version
    policyHash = withUnsafeBytes(of: c.policy_hash) { Array($0) }
    source = DecisionSource(c.source)
    entryHash = withUnsafeBytes(of: c.entry_hash) { Array($0) }
  }
}

/// Whether an app feature can work with the user's current choices.
public struct Feature: Sendable, Hashable {
  public enum Availability: Int32, Sendable {
    case available = 0
    /// Something it needs was never asked: the app may ask.
    case notAsked = 1
    /// The user declined something it needs: grey it out.
    case declined = 2
  }
  public var feature: String
  /// A value this binding does not know reads as `.declined`.
  public var availability: Availability
  /// One sentence for logs and settings screens.
  public var reason: String
  public var missingCategories: [String]
  /// The purpose of the same name when it exists and is not allowed; else "".
  public var purposeNotAllowed: String

  init(_ c: tacet_feature) {
    feature = string(c.feature)
    availability = Availability(rawValue: Int32(c.availability.rawValue)) ?? .declined
    reason = string(c.reason)
    missingCategories = strings(c.missing_categories)
    purposeNotAllowed = string(c.purpose_not_allowed)
  }
}

/// One stored value of the vault, decrypted.
public struct VaultRecord: Sendable, Hashable {
  public var id: Int64
  public var category: String
  public var field: String
  /// 1 when written, +1 per correction.
  public var version: Int64
  /// The value's bytes (binary fields may hold NULs).
  public var bytes: [UInt8]
  /// The value as UTF-8 text (invalid sequences replaced).
  public var value: String { String(decoding: bytes, as: UTF8.self) }
  public var createdUnixMs: Int64
  public var writtenUnixMs: Int64
  public var source: ChangeSource

  init(_ c: tacet_vault_record) {
    id = c.id
    category = string(c.category)
    field = string(c.field)
    version = c.version
    bytes = Tacet.bytes(c.value, c.value_len)
    createdUnixMs = c.created_unix_ms
    writtenUnixMs = c.written_unix_ms
    source = ChangeSource(c.source)
  }
}

/// One version of a vault record; `replacedUnixMs` is nil for the current one.
public struct VaultVersion: Sendable, Hashable {
  public var recordID: Int64
  public var version: Int64
  public var bytes: [UInt8]
  public var value: String { String(decoding: bytes, as: UTF8.self) }
  public var writtenUnixMs: Int64
  public var replacedUnixMs: Int64?
  public var source: ChangeSource

  init(_ c: tacet_vault_version) {
    recordID = c.record_id
    version = c.version
    bytes = Tacet.bytes(c.value, c.value_len)
    writtenUnixMs = c.written_unix_ms
    replacedUnixMs = c.replaced_unix_ms == 0 ? nil : c.replaced_unix_ms
    source = ChangeSource(c.source)
  }
}

/// What an erasure removed.
public struct ErasureResult: Sendable, Hashable {
  public var records: Int64
  public var historyEntries: Int64
}

/// What an export held.
public struct ExportSummary: Sendable, Hashable {
  public var records: Int64
  public var historyEntries: Int64
}

/// What a privacy report held.
public struct ReportSummary: Sendable, Hashable {
  public var records: Int64
  public var categoriesHeld: Int64
}
