// Crossing the boundary: identifiers and paths as NUL-terminated copies (an embedded NUL is
// refused, never silently truncated), values as bytes with an explicit length, C blocks copied
// into Swift values and released with tacet_free.
internal import CTacet
import Dispatch

/// Calls `body` with a NUL-terminated copy of `text`, refusing text that holds a NUL byte.
func withCString<R>(_ text: String, argument: String, in function: String,
                    _ body: (UnsafePointer<CChar>) throws -> R) throws -> R {
  if text.utf8.contains(0) {
    throw TacetError.invalidArgument(function, "\(argument) contains a NUL byte")
  }
  return try text.withCString(body)
}

/// As `withCString`, passing NULL for nil.
func withOptionalCString<R>(_ text: String?, argument: String, in function: String,
                            _ body: (UnsafePointer<CChar>?) throws -> R) throws -> R {
  guard let text else { return try body(nil) }
  return try withCString(text, argument: argument, in: function) { try body($0) }
}

/// Calls `body` with `bytes` as a `const char *` and its length (NULL when empty).
func withCBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>?, Int) throws -> R) rethrows -> R {
  try bytes.withUnsafeBufferPointer { buffer in
    try buffer.withMemoryRebound(to: CChar.self) { chars in try body(chars.baseAddress, chars.count) }
  }
}

/// A Swift String from a C string the library handed out (NULL reads as "").
func string(_ pointer: UnsafePointer<CChar>?) -> String {
  pointer.map { String(cString: $0) } ?? ""
}

/// The `length` bytes at `pointer` (NULL reads as none).
func bytes(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> [UInt8] {
  guard let pointer, length > 0 else { return [] }
  return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
    Array(UnsafeBufferPointer(start: $0, count: length))
  }
}

/// The strings of a tacet_string_list.
func strings(_ list: tacet_string_list) -> [String] {
  guard let items = list.items else { return [] }
  return (0..<list.count).map { string(items[$0]) }
}

/// Copies that must stay valid across one C call (event keys and values for a batch), released
/// when the arena is. Use it inside `withExtendedLifetime`.
final class CArena {
  private var blocks: [UnsafeMutableRawPointer] = []

  /// A NUL-terminated copy; text holding a NUL is refused.
  func cString(_ text: String, argument: String, in function: String) throws
    -> UnsafePointer<CChar>
  {
    if text.utf8.contains(0) {
      throw TacetError.invalidArgument(function, "\(argument) contains a NUL byte")
    }
    let utf8 = text.utf8CString
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    utf8.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: utf8.count) }
    blocks.append(UnsafeMutableRawPointer(copy))
    return UnsafePointer(copy)
  }

  /// A copy of `bytes` (NULL when empty).
  func bytes(_ bytes: [UInt8]) -> UnsafePointer<CChar>? {
    guard !bytes.isEmpty else { return nil }
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
    bytes.withUnsafeBufferPointer { source in
      source.withMemoryRebound(to: CChar.self) { copy.initialize(from: $0.baseAddress!, count: $0.count) }
    }
    blocks.append(UnsafeMutableRawPointer(copy))
    return UnsafePointer(copy)
  }

  /// Room for `count` values, uninitialised memory of a trivial C type, released with the arena.
  func buffer<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let memory = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
    blocks.append(UnsafeMutableRawPointer(memory))
    return memory
  }

  deinit {
    for block in blocks { block.deallocate() }
  }
}

// ---- frees from deinit ---------------------------------------------------------------------------

/// What a deferred free carries to another thread: a handle and whatever must outlive it (the
/// closures' boxes, the platform tables' context). Only ever touched by that one free.
struct DeferredFree: @unchecked Sendable {
  let free: () -> Void
  let keepAlive: AnyObject?
}

/// Frees a handle from a `deinit`. Inside a Tacet callback (a session or object released by the
/// app from a listener, `onFrame` or `onEnded`) the library refuses every free
/// (`tacet_in_callback`), and a `deinit` cannot report it: the handle, its gate slot and its
/// device lock would leak. So there the free goes to another thread, where it waits for the
/// callback to return; `keepAlive` lives until it is done.
func freeFromDeinit(_ free: @escaping () -> Void, keepAlive: AnyObject? = nil) {
  if tacet_in_callback() == 0 {
    free()
    withExtendedLifetime(keepAlive) {}
    return
  }
  let job = DeferredFree(free: free, keepAlive: keepAlive)
  DispatchQueue.global(qos: .utility).async {
    job.free()
    withExtendedLifetime(job.keepAlive) {}
  }
}
