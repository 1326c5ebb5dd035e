// What the tests share: a temporary folder per test, options for a device in it, a thread-safe
// box for what callbacks see, and the process's open file descriptors.
import Foundation
import Tacet
import XCTest

class TacetTestCase: XCTestCase {
  private(set) var directory = ""

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("tacet-swift-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: directory)
  }

  func path(_ name: String) -> String { directory + "/" + name }

  /// Options for "<temp>/device", quiet, not waiting for a lock held by another agent.
  func options(_ name: String = "device") -> AgentOptions {
    var options = AgentOptions(dataDirectory: path(name))
    options.logLevel = .none
    options.lockTimeoutMilliseconds = 0
    return options
  }

  func openAgent(_ name: String = "device") throws -> Agent { try Agent(options: options(name)) }

  /// Runs `body`, which must throw a TacetError with `code`; returns it.
  @discardableResult
  func assertThrows<T>(_ code: TacetError.Code, _ body: @autoclosure () throws -> T,
                       file: StaticString = #filePath, line: UInt = #line) -> TacetError? {
    do {
      _ = try body()
      XCTFail("expected \(code.name), got success", file: file, line: line)
    } catch let error as TacetError {
      XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
      XCTAssertFalse(error.message.isEmpty, file: file, line: line)
      return error
    } catch {
      XCTFail("expected a TacetError, got \(error)", file: file, line: line)
    }
    return nil
  }

  /// The open file descriptors of this process (Linux).
  func openFileDescriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
  }

  /// Runs `body` on a new thread (not the test's) and waits for it.
  func onAnotherThread(_ body: @escaping @Sendable () -> Void) {
    let done = expectation(description: "other thread")
    let thread = Thread {
      body()
      done.fulfill()
    }
    thread.start()
    wait(for: [done], timeout: 30)
  }
}

/// A value callbacks on any thread may update.
final class Locked<Value>: @unchecked Sendable {
  // @unchecked: every access goes through the lock.
  private let lock = NSLock()
  private var value: Value
  init(_ value: Value) { self.value = value }
  func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
  var get: Value { withLock { $0 } }
}

/// Something a closure captures, to see when the binding releases the closure.
final class Witness: Sendable {
  func touch() {}
}

/// A weak reference to a witness: nil once what captured it was released.
struct Weak {
  weak var value: Witness?
  init(_ value: Witness) { self.value = value }
}

/// The RFC 9458 key configuration of sdk/src/capi/capi_sync_test.cc: key id 1, X25519 with
/// public key u = 9, HKDF-SHA256, AES-128-GCM.
let testKeyConfiguration: [UInt8] = [0x01, 0x00, 0x20, 0x09] + [UInt8](repeating: 0, count: 31)
  + [0x00, 0x04, 0x00, 0x01, 0x00, 0x01]
