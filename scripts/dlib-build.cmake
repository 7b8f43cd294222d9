# CMake initial cache for building dlib from its sdist (scripts/install.sh passes it through
# CMAKE_TOOLCHAIN_FILE, the one way in: dlib 20's setup.py ignores its documented --no flag).
#
# dlib turns on AVX when the build machine has it. Here (AMD EPYC, GCC 12) that made its HOG
# face detector about 2x slower than with SSE4 (800 px photo: 163 vs 85 ms at no upsampling,
# 644 vs 392 ms upsampled once) and the ResNet embedding no faster: with OpenBLAS the
# convolutions run in BLAS, which picks its own vector code at run time.
set(USE_AVX_INSTRUCTIONS OFF CACHE BOOL "dlib: AVX off (slower HOG on this compiler)")
