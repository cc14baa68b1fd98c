#pragma once
// What the two code generators of local programs share (internal to ops/local): program_jit_avx512.cpp
// emits AVX-512 code, program_jit_avx2.cpp AVX2 code for CPUs without AVX-512 (AMD Zen 2 and 3, Intel
// before Skylake-X); program_jit.cpp defines the rest. Both compute the interpreter's cells (program_jit.hpp
// says how).
#if defined(TRELLIS_HAVE_XBYAK)
#include <xbyak/xbyak.h>

#include <vector>

#include "ops/local/program_jit.hpp"

namespace trellis::ops::jit {

// void f(const void* const* bands, void* out, std::size_t n): bands[j] is the band the j-th Load reads.
using Kernel = void (*)(const void* const*, void*, std::size_t);

// Predicates of vcmpp[sd] (the same in VEX and EVEX encodings): ordered (false where either operand is
// NaN) and quiet.
inline constexpr int kEqOq = 0x00, kLtOq = 0x11, kLeOq = 0x12, kUnordQ = 0x03, kNeqOq = 0x0C, kOrdQ = 0x07,
                     kGeOq = 0x1D, kGtOq = 0x1E;

// The predicate of a comparison (== != < <= > >=), -1 for the logic operations. Not collective,
// deterministic, does not throw.
int comparison_predicate(LocalProgram::Fn f);

// Operations whose VEX (ymm) and EVEX (zmm) forms are the same call and need no mask. Each reads its
// operands before it writes d. Deterministic; emit_plain returns false for any other operation.
//   emit_plain: d <- a (+ - *) b, or sqrt(a), in float or double lanes;
//   emit_int: d <- a (+ - * min max) b in int32 lanes (the low 32 bits of the product: Scala's wrapping
//   Int), NoData left to the caller.
bool emit_plain(Xbyak::CodeGenerator& g, bool dbl, LocalProgram::Fn f, const Xbyak::Xmm& d,
                const Xbyak::Xmm& a, const Xbyak::Xmm& b);
void emit_int(Xbyak::CodeGenerator& g, LocalProgram::Fn f, const Xbyak::Xmm& d, const Xbyak::Xmm& a,
              const Xbyak::Xmm& b);

// The vector register (0 .. count - 1) of each program register, allocated by liveness in program order:
// an operand whose last use is an instruction frees its register for that instruction's destination
// (every emitted sequence reads its operands before it writes its destination). Deterministic; throws
// std::runtime_error when the program needs more than `count` live registers.
std::vector<int> allocate_registers(const ProgramJit::Source& s, int count);

// Whether `s` is an Int program the machine code computes in int32 lanes (NoData INT_MIN, as the
// interpreter's Int registers): every register Int; loads of 8-, 16- or 32-bit integer layers; Int
// constants; + - * (wrapping), / (truncating; by 0: NoData), min, max, unary - and abs; comparisons,
// and/or/xor/not, isnodata, isdata (flags: 0, 1 or NoData) and if; the result stored as int8, uint8, int16,
// uint16 or int32, NoData as the type's NoData (0 without one), other values wrapped to the type as the
// interpreter's narrowing does. Not collective, deterministic, does not throw.
bool int_program(const ProgramJit::Source& s);

// Emits the AVX-512 kernel of `s` (whose instructions supported() accepted, or an Int program) into
// `m`: it computes the cells [0, n), the first and last through masked passes. Throws Xbyak::Error or
// std::runtime_error (the interpreter runs then).
void emit_avx512(Xbyak::CodeGenerator& m, const ProgramJit::Source& s, bool int_mode);

// Emits the AVX2 kernel of `s` (whose instructions supported() accepted, or an Int program) into `m`:
// it computes the cells [0, n - n % lanes) (lanes: 8 floats or int32, or 4 doubles); ProgramJit::run
// passes the remainder through a vector's worth of scratch. Throws Xbyak::Error or std::runtime_error
// (the interpreter runs then).
void emit_avx2(Xbyak::CodeGenerator& m, const ProgramJit::Source& s, bool int_mode);

}  // namespace trellis::ops::jit
#endif
