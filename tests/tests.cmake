# Test registration.  Every file matching a pattern becomes a test: adding a
# test never needs an edit here.
set(DEFUSE_TEST_ENV
  "DEFUSE=$<TARGET_FILE:defuse_cli>"
  "DEFUSE_SRC=${PROJECT_SOURCE_DIR}"
  "DEFUSE_BUILD=${PROJECT_BINARY_DIR}"
  "DEFUSE_CORPUS=${PROJECT_SOURCE_DIR}/../shared/corpus"
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "DEFUSE_SANITIZED=$<BOOL:${DEFUSE_SANITIZE}>")

# Unit tests: tests/unit/test_<name>.c, cmocka, linked with libdefuse and
# allowed to include lib/ internals.
file(GLOB DEFUSE_UNIT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${DEFUSE_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib ${PROJECT_SOURCE_DIR}/tests/unit)
  target_link_libraries(${name} PRIVATE defuse_fuzzsupport PkgConfig::CMOCKA)
  add_test(NAME unit_${name} COMMAND ${name})
  set_tests_properties(unit_${name} PROPERTIES ENVIRONMENT "${DEFUSE_TEST_ENV}" LABELS unit TIMEOUT 300)
endforeach()

# End-to-end tests: tests/e2e/<name>.sh, run with bash; exit 77 means skipped.
file(GLOB DEFUSE_E2E_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/e2e/*.sh)
foreach(src ${DEFUSE_E2E_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME e2e_${name} COMMAND bash ${src})
  set_tests_properties(e2e_${name} PROPERTIES ENVIRONMENT "${DEFUSE_TEST_ENV}"
                       LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600)
endforeach()

# Fuzz targets: tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput.
# Always built as a replay program over tests/fuzz/corpus/<name>/ (saved
# crashes and seeds); with DEFUSE_FUZZ also as a libFuzzer binary.
file(GLOB DEFUSE_FUZZ_TARGETS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${DEFUSE_FUZZ_TARGETS})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" short ${name})
  add_executable(replay_${short} ${src} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c)
  target_include_directories(replay_${short} PRIVATE ${PROJECT_SOURCE_DIR}/lib ${PROJECT_SOURCE_DIR}/honeypot)
  target_link_libraries(replay_${short} PRIVATE defuse_fuzzsupport)
  add_test(NAME fuzz_replay_${short}
           COMMAND replay_${short} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${short})
  set_tests_properties(fuzz_replay_${short} PROPERTIES ENVIRONMENT "${DEFUSE_TEST_ENV}" LABELS fuzz TIMEOUT 300)
  if(DEFUSE_FUZZ)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib ${PROJECT_SOURCE_DIR}/honeypot)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE defuse_fuzzsupport)
  endif()
endforeach()

# Test tools: tests/tools/<name>.c -> a program linked with libdefuse that
# end-to-end tests drive (e.g. the differential test's evaluator).
file(GLOB DEFUSE_TEST_TOOLS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/tools/*.c)
foreach(src ${DEFUSE_TEST_TOOLS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/lib)
  target_link_libraries(${name} PRIVATE defuse)
endforeach()
