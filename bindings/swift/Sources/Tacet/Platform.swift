// Platform services an app supplies (tacet_platform.h): a key store (on iOS, the Keychain) and a
// logger (on iOS, os_log). Each becomes a C function table whose context is a box the agent
// keeps alive until its handle is freed.
internal import CTacet

/// Where the agent keeps its small named secrets (key-wrapping keys, data keys). Deleting a
/// secret is how erased data is crypto-shredded: `delete` must make it unrecoverable as far as
/// the medium allows. On iOS, a Keychain item per name (kSecClassGenericPassword,
/// kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly).
///
/// Called from any thread, also several at once, inside Tacet calls: implementations must be
/// thread-safe and must not call back into Tacet. Names are 1 ... 64 characters of [a-z0-9_-];
/// secrets 1 ... 4096 bytes. Throw a `TacetError` to choose the status the agent sees; any other
/// error reads as `.internal`.
public protocol KeyStore: Sendable {
  /// Stores `secret` under `name`, durably. Never replaces: throw `.alreadyExists` if it exists.
  func put(_ name: String, secret: [UInt8]) throws
  /// The secret stored under `name`, or nil when there is none.
  func get(_ name: String) throws -> [UInt8]?
  /// Destroys the secret; false when there was none.
  func delete(_ name: String) throws -> Bool
}

/// Receives the agent's diagnostics at or above `AgentOptions.logLevel` (never personal data,
/// secrets or payloads), on any thread, including the audio thread: return quickly.
public typealias Logger = @Sendable (_ level: LogLevel, _ message: String) -> Void

/// The context of the platform tables of one agent.
final class PlatformBox: Sendable {
  let keyStore: (any KeyStore)?
  let logger: Logger?
  init(keyStore: (any KeyStore)?, logger: Logger?) {
    self.keyStore = keyStore
    self.logger = logger
  }

  /// Registers the tables on `options`; `self` must outlive every agent opened with them.
  func register(on options: OpaquePointer?) throws {
    let context = Unmanaged.passUnretained(self).toOpaque()
    if keyStore != nil {
      var table = tacet_key_store(struct_size: UInt32(MemoryLayout<tacet_key_store>.size),
                                  put: keyStorePut, get: keyStoreGet, del: keyStoreDelete,
                                  ctx: context)
      try check(tacet_options_set_key_store(options, &table))
    }
    if logger != nil {
      var table = tacet_logger(struct_size: UInt32(MemoryLayout<tacet_logger>.size),
                               log: loggerLog, ctx: context)
      try check(tacet_options_set_logger(options, &table))
    }
  }
}

/// The status a platform function returns for what `body` threw.
private func platformStatus(_ body: () throws -> tacet_status) -> tacet_status {
  do {
    return try body()
  } catch let error as TacetError {
    return error.code == .ok ? TACET_ERR_INTERNAL : error.code.cStatus
  } catch {
    return TACET_ERR_INTERNAL
  }
}

private func keyStore(_ ctx: UnsafeMutableRawPointer?) -> (any KeyStore)? {
  ctx.flatMap { Unmanaged<PlatformBox>.fromOpaque($0).takeUnretainedValue().keyStore }
}

private func keyStorePut(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?,
                         _ secret: UnsafePointer<UInt8>?, _ length: Int) -> tacet_status {
  guard let store = keyStore(ctx), let name, let secret, length > 0 else {
    return TACET_ERR_INVALID_ARGUMENT
  }
  return platformStatus {
    try store.put(String(cString: name), secret: Array(UnsafeBufferPointer(start: secret, count: length)))
    return TACET_OK
  }
}

private func keyStoreGet(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?,
                         _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                         _ outLength: UnsafeMutablePointer<Int>?) -> tacet_status {
  guard let store = keyStore(ctx), let name, let buffer, let outLength else {
    return TACET_ERR_INVALID_ARGUMENT
  }
  return platformStatus {
    guard let secret = try store.get(String(cString: name)) else { return TACET_ERR_NOT_FOUND }
    guard !secret.isEmpty, secret.count <= capacity else { return TACET_ERR_DATA_LOSS }
    secret.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: $0.count) }
    outLength.pointee = secret.count
    return TACET_OK
  }
}

private func keyStoreDelete(_ ctx: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?)
  -> tacet_status
{
  guard let store = keyStore(ctx), let name else { return TACET_ERR_INVALID_ARGUMENT }
  return platformStatus { try store.delete(String(cString: name)) ? TACET_OK : TACET_ERR_NOT_FOUND }
}

private func loggerLog(_ ctx: UnsafeMutableRawPointer?, _ level: tacet_log_level,
                       _ message: UnsafePointer<CChar>?, _ length: Int) {
  guard let ctx, let message,
        let logger = Unmanaged<PlatformBox>.fromOpaque(ctx).takeUnretainedValue().logger
  else { return }
  let text = message.withMemoryRebound(to: UInt8.self, capacity: length) {
    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
  }
  logger(LogLevel(rawValue: Int32(level.rawValue)) ?? .error, text)
}
