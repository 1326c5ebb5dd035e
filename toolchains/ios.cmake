# iOS (arm64 device, iOS 15+) with Xcode's clang.
#
# NOT TESTED ON THIS PROJECT'S BUILD MACHINES: building for iOS needs macOS and Xcode, and CI runs
# on Debian. Nothing here has been compiled by us; it records the settings an iOS team would start
# from. The Swift binding (bindings/swift) is tested on Linux against the host build instead.
#
#   cmake -B build-ios -G Xcode -DCMAKE_TOOLCHAIN_FILE=toolchains/ios.cmake -DTACET_BUILD_TESTS=OFF
set(CMAKE_SYSTEM_NAME iOS)
set(CMAKE_OSX_ARCHITECTURES "arm64" CACHE STRING "")
set(CMAKE_OSX_DEPLOYMENT_TARGET "15.0" CACHE STRING "")
set(CMAKE_XCODE_ATTRIBUTE_ONLY_ACTIVE_ARCH NO)
# Dependencies (SQLite from the SDK, mbedTLS and flatbuffers built for iOS) are found under
# CMAKE_FIND_ROOT_PATH, which the caller sets.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
