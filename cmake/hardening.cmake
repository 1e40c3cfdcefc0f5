# Warning and hardening flags for paw's own targets (never for third-party code).
# -Werror only when asked (PAW_WERROR, ON in CI): a user's compiler may warn
# differently, and a new warning must not stop a packager's build.
# GCC 12 at -O3 (CMake's Release flags) reports false -Wrestrict and
# -Wstringop-overflow / -Wstringop-overread inside libstdc++ itself, after
# inlining std::string appends and std::vector copies and compares (e.g. GCC
# PR 105329): in such a build they stay warnings, not errors, so Release with
# PAW_WERROR=ON builds. At -O2 (CI, the packages) they remain errors.
string(TOUPPER "${CMAKE_BUILD_TYPE}" _paw_bt)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13
   AND "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_paw_bt}}" MATCHES "-O3")
  set(PAW_GCC_O3_NOT_ERRORS -Wno-error=restrict -Wno-error=stringop-overflow -Wno-error=stringop-overread)
endif()

function(paw_target_flags target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra $<$<BOOL:${PAW_WERROR}>:-Werror> -Wshadow -Wconversion -Wno-sign-conversion
    ${PAW_GCC_O3_NOT_ERRORS})
  if(CMAKE_BUILD_TYPE MATCHES "Rel")
    target_compile_options(${target} PRIVATE -fstack-protector-strong)
    target_compile_definitions(${target} PRIVATE _FORTIFY_SOURCE=2)
    target_link_options(${target} PRIVATE -Wl,-z,relro,-z,now)
  endif()
endfunction()

if(PAW_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
if(PAW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PAW_FUZZ needs clang (CC=clang CXX=clang++)")
  endif()
  # A sanitizer report stops the fuzzer like a crash (no recovering UBSan).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

# paw_compile_alone(source…): in a unity build (-DCMAKE_UNITY_BUILD=ON, which
# tools/test.sh uses: one compile per batch of eight sources parses the
# ~150 000 lines of headers each source includes, and emits their inline code,
# once instead of eight times) these sources are compiled on their own: their
# file-local helpers (an anonymous namespace's `bad`, `World`, `kUsage`…) share
# names with a neighbour's, or a class of theirs holds a file-local type (GCC's
# -Wsubobject-linkage spares that only in the main file). Without unity builds
# it does nothing.
function(paw_compile_alone)
  set_source_files_properties(${ARGN} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
endfunction()
