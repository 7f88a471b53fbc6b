# ctest message_fuzzer_bounded: runs the libFuzzer binary for a bounded time from a fresh working
# corpus (new inputs go there, never into the seed corpus in the source tree), so every run starts
# from the same state. Arguments: -DFUZZER= -DSEEDS= -DWORK= -DSECONDS=
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -seed=1 -max_len=4096 -timeout=10
          -rss_limit_mb=2048 -print_final_stats=1 ${WORK} ${SEEDS}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "message_fuzzer failed (exit ${rc}); the crashing input is in the log above")
endif()
