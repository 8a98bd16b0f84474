# Instrumented builds, each in a build folder of its own:
#   DIFFSEG_SANITIZE=ON       AddressSanitizer + UndefinedBehaviorSanitizer for the whole project and its tests
#                             (configure a build folder of its own with it; GCC or clang; docs/reliability.md).
#   DIFFSEG_BUILD_FUZZERS=ON  the same plus libFuzzer's coverage feedback (-fsanitize=fuzzer-no-link) on every
#                             target, so the fuzzers see into the library code they drive; only the fuzz programs
#                             link libFuzzer's main (fuzz/CMakeLists.txt). Clang only (scripts/fuzz.sh, build-fuzz/).
# Undefined behaviour in diffseg's code stops the program (-fno-sanitize-recover) instead of printing and going on.
# LibTorch and the other system libraries stay uninstrumented: what runs inside them is not checked, except
# through ASan's interceptors (malloc, memcpy, ...).
set(_diffseg_sanitizers address,undefined)
set(_diffseg_compile_flags -fsanitize=${_diffseg_sanitizers} -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
if(DIFFSEG_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "DIFFSEG_BUILD_FUZZERS needs clang's libFuzzer: configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-14 (scripts/fuzz.sh does)")
  endif()
  list(APPEND _diffseg_compile_flags -fsanitize=fuzzer-no-link)
endif()
add_compile_options(${_diffseg_compile_flags})
# Linked through diffseg_core's interface (CMakeLists.txt), so every program, test and embedding project that links
# an instrumented diffseg gets the runtimes.
set(DIFFSEG_SANITIZER_LINK_OPTIONS -fsanitize=${_diffseg_sanitizers})
message(STATUS "diffseg: instrumented build (${_diffseg_compile_flags})")
