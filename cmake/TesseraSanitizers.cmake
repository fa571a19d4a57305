# Applies TESSERA_SANITIZE (for example "address,undefined" or "thread") to everything built
# below the top-level directory, so tests, samples and the library agree on the runtime.
if(TESSERA_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "TESSERA_SANITIZE needs GCC or Clang")
  endif()
  add_compile_options(-fsanitize=${TESSERA_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${TESSERA_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's -Wmaybe-uninitialized gives false positives in instrumented std::variant and
    # std::function code; the plain builds keep the warning.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  if(TESSERA_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
