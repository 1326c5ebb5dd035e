# Helpers that keep every module's CMakeLists.txt short.
#
#   tacet_module(name [DEPS module...] [LIBS target...])
#                                      declares the module of the current folder: an OBJECT library
#                                      tacet_<name> whose objects go into tacet_sdk, and an INTERFACE
#                                      library tacet_<name>_headers (alias tacet::<name>) that
#                                      carries the include path of this module and of DEPS only
#   tacet_module_sources(file...)      add sources of the current module
#   tacet_add_test(NAME n SOURCES s... [LABELS l...] [LIBS lib...])
#                                      a GoogleTest executable; each TEST() becomes a ctest test
#   tacet_add_bench(SOURCES s... [LIBS lib...])
#                                      sources (and libraries) added to the single tacet_bench executable
#
# Layering. Library code includes another module's header as "<module>/<file>.h". Each module's
# include path is a folder of its own in the build tree, <build>/module-roots/<name>/, holding one
# symbolic link, <name> -> the module's source folder. A module's compile line gets its own root and
# the roots of the modules in DEPS (transitively), and nothing else of sdk/src or platform/, so
# including a header of a module it does not depend on fails to build ("No such file"). Tests,
# benchmarks and tools link tacet::sdk_internal, which sees every module.

# Applies Tacet's warnings (and, for library code, the no-exceptions policy) to a target.
function(tacet_target_defaults target)
  target_compile_options(${target} PRIVATE ${TACET_WARNING_FLAGS})
endfunction()

set_property(GLOBAL PROPERTY TACET_MODULES "")
set_property(GLOBAL PROPERTY TACET_SDK_SOURCES "")

# The public headers (sdk/include/tacet) and the platform interfaces (platform/include/tacet/
# platform): every module may include them.
if(NOT TARGET tacet_public_headers)
  add_library(tacet_public_headers INTERFACE)
  target_include_directories(tacet_public_headers INTERFACE
    ${PROJECT_SOURCE_DIR}/sdk/include ${PROJECT_SOURCE_DIR}/platform/include)
  target_compile_definitions(tacet_public_headers INTERFACE
    $<$<NOT:$<BOOL:${TACET_BUILD_SHARED}>>:TACET_STATIC>)
endif()

function(tacet_module name)
  cmake_parse_arguments(M "" "" "DEPS;LIBS" ${ARGN})
  set(root ${PROJECT_BINARY_DIR}/module-roots/${name})
  # (Re)made whenever it does not point at this source folder: a build folder reused with another
  # checkout must never compile the old one's headers.
  set(target_now "")
  if(IS_SYMLINK ${root}/${name})
    file(READ_SYMLINK ${root}/${name} target_now)
  endif()
  if(NOT target_now STREQUAL CMAKE_CURRENT_SOURCE_DIR)
    file(REMOVE ${root}/${name})
    file(MAKE_DIRECTORY ${root})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${name} SYMBOLIC)
  endif()
  set(dep_headers "")
  foreach(dep IN LISTS M_DEPS)
    list(APPEND dep_headers tacet_${dep}_headers)
  endforeach()

  add_library(tacet_${name}_headers INTERFACE)
  add_library(tacet::${name} ALIAS tacet_${name}_headers)
  target_include_directories(tacet_${name}_headers INTERFACE ${root})
  target_link_libraries(tacet_${name}_headers INTERFACE tacet_public_headers ${dep_headers} ${M_LIBS})

  add_library(tacet_${name} OBJECT)
  target_link_libraries(tacet_${name} PRIVATE tacet_${name}_headers)
  target_compile_definitions(tacet_${name} PRIVATE TACET_BUILDING_LIBRARY)
  if(TACET_BUILD_SHARED)
    set_target_properties(tacet_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  if(TACET_NO_EXCEPTIONS)
    # Firmware builds: the library never throws and needs no RTTI.
    target_compile_options(tacet_${name} PRIVATE -fno-exceptions -fno-rtti)
  endif()
  tacet_target_defaults(tacet_${name})
  if(TARGET tacet_policy_generated)
    # Modules above policy include policy.h, which includes the generated flatbuffers header.
    add_dependencies(tacet_${name} tacet_policy_generated)
  endif()
  target_sources(tacet_sdk PRIVATE $<TARGET_OBJECTS:tacet_${name}>)
  set_property(GLOBAL APPEND PROPERTY TACET_MODULES ${name})
  set_property(GLOBAL PROPERTY TACET_MODULE_DEPS_${name} ${M_DEPS})
  set_property(GLOBAL PROPERTY TACET_MODULE_DIR_${name} ${CMAKE_CURRENT_SOURCE_DIR})
  set_property(DIRECTORY PROPERTY TACET_MODULE ${name})
endfunction()

function(tacet_module_sources)
  get_directory_property(module TACET_MODULE)
  if(NOT module)
    message(FATAL_ERROR "tacet_module_sources() in ${CMAKE_CURRENT_SOURCE_DIR}: call tacet_module() first")
  endif()
  target_sources(tacet_${module} PRIVATE ${ARGN})
  foreach(src IN LISTS ARGN)
    get_filename_component(abs "${src}" ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY TACET_SDK_SOURCES "${abs}")
  endforeach()
endfunction()

function(tacet_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT TACET_BUILD_TESTS)
    return()
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE tacet::sdk_internal tacet_testing ${T_LIBS} GTest::gmock GTest::gtest_main)
  tacet_target_defaults(${T_NAME})
  target_compile_definitions(${T_NAME} PRIVATE TACET_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Discovery runs at test time, so a cross build lists tests through the emulator only then.
  gtest_discover_tests(${T_NAME}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 120
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
  # gtest_discover_tests flattens a list-valued property ("unit;concurrency" would set LABELS to
  # "unit" and a property named "concurrency"), so several labels are set by a second script
  # that ctest runs after discovery, on the test names discovery listed.
  list(LENGTH T_LABELS label_count)
  if(label_count GREATER 1)
    set(labels_script "${CMAKE_CURRENT_BINARY_DIR}/${T_NAME}_labels.cmake")
    file(GENERATE OUTPUT "${labels_script}" CONTENT
      "if(${T_NAME}_TESTS)\n  set_tests_properties(\${${T_NAME}_TESTS} PROPERTIES LABELS \"${T_LABELS}\")\nendif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_script}")
  endif()
endfunction()

set_property(GLOBAL PROPERTY TACET_BENCH_SOURCES "")
set_property(GLOBAL PROPERTY TACET_BENCH_LIBS "")
function(tacet_add_bench)
  cmake_parse_arguments(B "" "" "SOURCES;LIBS" ${ARGN})
  foreach(src IN LISTS B_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY TACET_BENCH_SOURCES "${abs}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY TACET_BENCH_LIBS ${B_LIBS})
endfunction()

# Called once at the end of the top-level CMakeLists.txt.
function(tacet_finish_bench)
  get_property(srcs GLOBAL PROPERTY TACET_BENCH_SOURCES)
  if(NOT srcs)
    return()
  endif()
  get_property(libs GLOBAL PROPERTY TACET_BENCH_LIBS)
  add_executable(tacet_bench ${srcs})
  target_link_libraries(tacet_bench PRIVATE ${libs})
  # The counting operator new lets BM_Export report its peak heap; every benchmark pays one
  # relaxed atomic add per allocation, on both sides of each pair.
  target_link_libraries(tacet_bench PRIVATE tacet::sdk_internal tacet_heap_counter
                                            benchmark::benchmark_main)
  tacet_target_defaults(tacet_bench)
endfunction()
