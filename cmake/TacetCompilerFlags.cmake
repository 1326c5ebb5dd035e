# Language level, visibility and warnings shared by every Tacet target.
set(CMAKE_C_STANDARD 99)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
# Only what is marked TACET_API leaves the library.
set(CMAKE_C_VISIBILITY_PRESET hidden)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

# Warnings for Tacet's own code (not applied to dependencies).
set(TACET_WARNING_FLAGS -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wcast-align -Wformat=2 -Wimplicit-fallthrough)
if(TACET_WERROR)
  list(APPEND TACET_WARNING_FLAGS -Werror)
endif()

if(TACET_SANITIZE)
  string(REPLACE ";" "," _tacet_san "${TACET_SANITIZE}")
  add_compile_options(-fsanitize=${_tacet_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_tacet_san})
endif()
