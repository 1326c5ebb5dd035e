# Android (arm64-v8a, API 26+) through the NDK's own toolchain file.
#
# NOT TESTED ON THIS PROJECT'S BUILD MACHINES: Debian ships no Android NDK, and CI has no network
# to fetch one. This file is a thin, documented wrapper so an app team can build Tacet into an
# Android app with their NDK; an Android build of Tacet has not been compiled or run by us.
#
#   cmake -B build-android -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=toolchains/android-ndk.cmake -DANDROID_NDK=/path/to/ndk \
#         -DTACET_BUILD_TESTS=OFF
#
# The app must supply SQLite, mbedTLS 2.28 and flatbuffers built for the same ABI (for example as
# prefab packages) and point CMAKE_FIND_ROOT_PATH at them.
if(NOT ANDROID_NDK AND DEFINED ENV{ANDROID_NDK_HOME})
  set(ANDROID_NDK "$ENV{ANDROID_NDK_HOME}")
endif()
if(NOT ANDROID_NDK OR NOT EXISTS "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "Set ANDROID_NDK (or ANDROID_NDK_HOME) to an Android NDK; none is installed here")
endif()
set(ANDROID_ABI "arm64-v8a" CACHE STRING "Android ABI")
set(ANDROID_PLATFORM "android-26" CACHE STRING "Minimum Android API level")
set(ANDROID_STL "c++_static" CACHE STRING "C++ runtime")
include("${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
