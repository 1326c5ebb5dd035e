# Included by the top-level CMakeLists.txt once sdk/ and platform/ have registered their sources.
# tacet::c_shared — the C API as a shared library whatever TACET_BUILD_SHARED says: the one the
# Java (JNI) and Swift bindings load, and the one the export check reads. With TACET_BUILD_SHARED
# it is tacet_sdk itself; otherwise every SDK source compiled once more as TACET_BUILD_SHARED would
# (TACET_API exported, not TACET_STATIC; only tacet_* leaves it: hidden visibility plus tacet.map),
# built on demand (EXCLUDE_FROM_ALL) unless a binding links it. Linux hosts only, no sanitizers
# (a sanitized shared library needs its runtime preloaded into the JVM or the Swift test runner).
if(TACET_BUILD_SHARED)
  add_library(tacet::c_shared ALIAS tacet_sdk)
elseif(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT TACET_SANITIZE)
  get_property(sdk_sources GLOBAL PROPERTY TACET_SDK_SOURCES)
  add_library(tacet_c_shared SHARED EXCLUDE_FROM_ALL ${sdk_sources})
  add_library(tacet::c_shared ALIAS tacet_c_shared)
  set_target_properties(tacet_c_shared PROPERTIES OUTPUT_NAME tacet_c VERSION ${PROJECT_VERSION}
                                                  SOVERSION ${PROJECT_VERSION_MAJOR})
  get_target_property(flatbuffers_include flatbuffers::flatbuffers INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(tacet_c_shared
    PUBLIC ${PROJECT_SOURCE_DIR}/sdk/include
    PRIVATE ${PROJECT_SOURCE_DIR}/sdk/src ${PROJECT_SOURCE_DIR}/platform/include
            ${PROJECT_SOURCE_DIR}/platform ${PROJECT_BINARY_DIR}/sdk/generated
            ${PROJECT_BINARY_DIR}/sdk/generated/wire ${flatbuffers_include})
  target_compile_definitions(tacet_c_shared PRIVATE TACET_BUILDING_LIBRARY
    TACET_VERSION_STRING="${PROJECT_VERSION}")
  # No libflatbuffers here, and --no-undefined below: the link fails if the library needs it.
  target_link_libraries(tacet_c_shared PRIVATE MbedTLS::mbedtls MbedTLS::mbedcrypto
                                               SQLite::SQLite3 Threads::Threads)
  target_link_options(tacet_c_shared PRIVATE
    "LINKER:--version-script=${PROJECT_SOURCE_DIR}/sdk/tacet.map" "LINKER:--no-undefined")
  add_dependencies(tacet_c_shared tacet_policy_generated tacet_wire_generated)
  tacet_target_defaults(tacet_c_shared)
endif()
