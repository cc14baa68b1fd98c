#pragma once
// Hot kernels compiled for several x86-64 instruction sets at once, the best one chosen when the program
// starts (GCC's and Clang's function multiversioning, an ifunc): a binary built for any x86-64 uses
// AVX-512 or AVX2 where the CPU has them, with no -march flag and nothing to configure.
//
// Results do not depend on the variant chosen: the build turns contraction into fused multiply-adds off
// (-ffp-contract=off, CMakeLists.txt), and the kernels use only operations that IEEE 754 rounds
// correctly in every instruction set (+ - * /, sqrt, comparisons, conversions); libm's functions are
// called, not inlined.
//
// TRELLIS_SIMD_CLONES goes on a function that holds a whole kernel: `flatten` inlines what it calls,
// so those loops are compiled for each instruction set too. Keep checks that throw outside it: with
// GCC 12, an exception thrown from inside such a kernel (reclassify's strict check, tried) crashed.
#if defined(__x86_64__) && defined(__GNUC__)
#define TRELLIS_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), flatten))
#else
#define TRELLIS_SIMD_CLONES
#endif
