# Runs a libFuzzer binary briefly without touching the checked-in corpus: new inputs go to a
# scratch directory in the build tree, the checked-in corpus and crashers are read only.
#   cmake -DFUZZER=... -DWORK_DIR=... -DSEEDS="dir;dir;file" -DSECONDS=20 -P run_fuzz_smoke.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")
set(seed_dirs "")
foreach(seed IN LISTS SEEDS)
  if(IS_DIRECTORY "${seed}")
    list(APPEND seed_dirs "${seed}")
  else()
    file(COPY "${seed}" DESTINATION "${WORK_DIR}/corpus")
  endif()
endforeach()
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_funcs=0
          -artifact_prefix=${WORK_DIR}/artifacts/ "${WORK_DIR}/corpus" ${seed_dirs}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); the crashing input is in ${WORK_DIR}/artifacts. "
                      "Once fixed, add it to tests/fuzz/crashers/.")
endif()
