// swift-tools-version:6.0
// Tacet for Swift: the module `Tacet` over the public C API alone (sdk/include/tacet/tacet.h),
// which it imports as the C module `CTacet` (Sources/CTacet/include/tacet links to
// sdk/include/tacet, so no header is copied). docs/bindings-swift.md.
//
// The C library, libtacet_c.so (CMake target tacet::c_shared), is linked, not built here:
//   TACET_LIB_DIR   the folder that holds it: added with -L and as an rpath (the ctest test
//                   passes the CMake build's); unset, the linker's own search path must find it
//   TACET_LIB_NAME  its name when it is not `tacet_c` (-l<name>)
// e.g.  TACET_LIB_DIR=$PWD/../../build/dev swift test --scratch-path ../../build/dev/swiftpm
import PackageDescription

let environment = Context.environment
let libraryName = environment["TACET_LIB_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? "tacet_c"
let libraryFlags: [String] = environment["TACET_LIB_DIR"].flatMap { dir in
  dir.isEmpty ? nil : ["-L", dir, "-Xlinker", "-rpath", "-Xlinker", dir]
} ?? []

let package = Package(
  name: "Tacet",
  products: [.library(name: "Tacet", targets: ["Tacet"])],
  targets: [
    // tacet.h as a Clang module, and the link to the C library.
    .target(
      name: "CTacet",
      linkerSettings: [.linkedLibrary(libraryName), .unsafeFlags(libraryFlags)]),
    // The Swift API. It imports CTacet `internal`ly: apps see only Swift types.
    .target(name: "Tacet", dependencies: ["CTacet"]),
    .testTarget(name: "TacetTests", dependencies: ["Tacet"]),
  ],
  swiftLanguageModes: [.v6]
)
