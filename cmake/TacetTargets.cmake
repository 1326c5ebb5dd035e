# Helpers that keep every module's CMakeLists.txt short.
#
#   tacet_module_sources(file...)      add sources of sdk/src/<module>/ to tacet_sdk
#   tacet_add_test(NAME n SOURCES s... [LABELS l...] [LIBS lib...])
#                                      a GoogleTest executable; each TEST() becomes a ctest test
#   tacet_add_bench(SOURCES s...)      sources added to the single tacet_bench executable

# Applies Tacet's warnings (and, for library code, the no-exceptions policy) to a target.
function(tacet_target_defaults target)
  target_compile_options(${target} PRIVATE ${TACET_WARNING_FLAGS})
endfunction()

function(tacet_module_sources)
  target_sources(tacet_sdk PRIVATE ${ARGN})
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
function(tacet_add_bench)
  cmake_parse_arguments(B "" "" "SOURCES" ${ARGN})
  foreach(src IN LISTS B_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY TACET_BENCH_SOURCES "${abs}")
  endforeach()
endfunction()

# Called once at the end of the top-level CMakeLists.txt.
function(tacet_finish_bench)
  get_property(srcs GLOBAL PROPERTY TACET_BENCH_SOURCES)
  if(NOT srcs)
    return()
  endif()
  add_executable(tacet_bench ${srcs})
  # The counting operator new lets BM_Export report its peak heap; every benchmark pays one
  # relaxed atomic add per allocation, on both sides of each pair.
  target_link_libraries(tacet_bench PRIVATE tacet::sdk_internal tacet_heap_counter
                                            benchmark::benchmark_main)
  tacet_target_defaults(tacet_bench)
endfunction()
