# Cross toolchain for 32-bit Arm Linux, hard-float ABI (older and smaller speaker SoCs).
# Needs g++-arm-linux-gnueabihf, the :armhf -dev packages and qemu-user; scripts/setup.sh does not
# install these by default (the arm64 build is the one CI runs). To use it:
#   dpkg --add-architecture armhf && apt-get update
#   apt-get install g++-arm-linux-gnueabihf qemu-user libsqlite3-dev:armhf libmbedtls-dev:armhf \
#                   libflatbuffers-dev:armhf libgtest-dev:armhf libgmock-dev:armhf
#   cmake --preset armhf && cmake --build --preset armhf
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)

set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)

set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake)

find_program(TACET_QEMU_ARM qemu-arm)
if(TACET_QEMU_ARM)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TACET_QEMU_ARM};-L;/usr/arm-linux-gnueabihf")
endif()
