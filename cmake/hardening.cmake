# Warning and hardening flags for paw's own targets (never for third-party code).
# -Werror only when asked (PAW_WERROR, ON in CI): a user's compiler may warn
# differently, and a new warning must not stop a packager's build.
function(paw_target_flags target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra $<$<BOOL:${PAW_WERROR}>:-Werror> -Wshadow -Wconversion -Wno-sign-conversion)
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
