// Errors: every failed C call becomes a TacetError carrying the C status code and the text of
// tacet_last_error_message() read on the same thread right after the call.
import Foundation
internal import CTacet

/// A failed Tacet call: the C API's status code and its message.
///
/// Every throwing method of this module throws only `TacetError`. The message is the C library's
/// `tacet_last_error_message()` for the call (it names the function and what was wrong, e.g.
/// `"tacet_record: permission denied for purpose 'voice_features': category 'voice' ..."`), or,
/// for an argument the binding refuses before calling C, a message naming the argument.
public struct TacetError: Error, Sendable, Hashable, CustomStringConvertible {
  /// A `tacet_status` code. Open (a struct, not an enum): a newer library may append codes.
  public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = Code(rawValue: 0)
    public static let invalidArgument = Code(rawValue: 1)
    public static let notFound = Code(rawValue: 2)
    public static let alreadyExists = Code(rawValue: 3)
    public static let permissionDenied = Code(rawValue: 4)
    public static let failedPrecondition = Code(rawValue: 5)
    public static let outOfRange = Code(rawValue: 6)
    public static let resourceExhausted = Code(rawValue: 7)
    public static let unavailable = Code(rawValue: 8)
    public static let dataLoss = Code(rawValue: 9)
    public static let `internal` = Code(rawValue: 10)
    public static let unimplemented = Code(rawValue: 11)

    /// The C library's short English name ("invalid argument"), from `tacet_status_name`.
    public var name: String { String(cString: tacet_status_name(cStatus)) }
    public var description: String { name }

    init(_ status: tacet_status) { rawValue = Int32(bitPattern: UInt32(status.rawValue)) }
    var cStatus: tacet_status { tacet_status(rawValue: numericCast(UInt32(bitPattern: rawValue))) }
  }

  /// The status code (never `.ok`).
  public let code: Code
  /// What went wrong, in English.
  public let message: String

  public init(code: Code, message: String) {
    self.code = code
    self.message = message
  }

  /// "permission denied: tacet_record: ..."
  public var description: String { "\(code.name): \(message)" }

  /// The error of the C call that just returned `status` on this thread.
  init(lastCall status: tacet_status) {
    self.init(code: Code(status), message: String(cString: tacet_last_error_message()))
  }

  /// An argument the binding refuses before it reaches C (e.g. an identifier holding a NUL,
  /// which C would read as the end of the string).
  static func invalidArgument(_ function: String, _ what: String) -> TacetError {
    TacetError(code: .invalidArgument, message: "\(function): \(what) (refused by the Swift binding)")
  }
}

extension TacetError: LocalizedError {
  public var errorDescription: String? { description }
}

/// Throws the thread's last error unless `status` is TACET_OK. Call it right after the C call,
/// before any other Tacet call on the thread (the message is thread-local).
@inline(__always)
func check(_ status: tacet_status) throws {
  if status != TACET_OK { throw TacetError(lastCall: status) }
}
