# Cross toolchain for 64-bit Arm Linux (speaker firmware class devices), using Debian's
# g++-aarch64-linux-gnu and the multiarch :arm64 -dev packages (scripts/setup.sh installs both).
# Tests run on the build machine through qemu user-mode emulation; this machine has no binfmt
# handler, so qemu-aarch64 is named explicitly and pointed at the arm64 loader and libraries.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries and headers come from the target's multiarch directories under /; programs (flatc)
# from the build machine.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Debian puts arm64 libraries in /usr/lib/aarch64-linux-gnu; make sure only those are found.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake)

# -L sets the prefix in which qemu looks for the program's loader and libraries. It is / so the
# multiarch libc6:arm64 (/lib/ld-linux-aarch64.so.1 -> /lib/aarch64-linux-gnu) is used throughout:
# with -L /usr/aarch64-linux-gnu, the cross compiler's older loader gets mixed with the newer
# multiarch libc and libstdc++, and threaded programs spin forever in their first lock.
find_program(TACET_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${TACET_QEMU_AARCH64};-L;/")
