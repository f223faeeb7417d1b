# Cross-compiling for AArch64 with Debian's gcc-aarch64-linux-gnu and multiarch arm64
# libraries (libsleef-dev:arm64, libcmocka-dev:arm64); binaries run under qemu-aarch64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} /)
# The multiarch arm64 runtime (libc6:arm64, libgomp1:arm64) under / : OpenMP programs hang
# under qemu with the cross toolchain's own /usr/aarch64-linux-gnu runtime.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/)
