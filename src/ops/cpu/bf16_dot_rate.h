// Whether this processor's VDPBF16PS (AVX512-BF16) outruns its FMA units, measured once at run
// time. oneDNN's bf16 GEMM rests on VDPBF16PS, our FMA prefill kernel (fma_gemm.h) on VFMADD231PS;
// which is faster depends on the core: on the AMX-less Xeon of 2026-12-02 VDPBF16PS issued at a
// quarter of the FMA rate (0.5x the flops), while cores that issue it as fast as an FMA do twice
// the flops with it. The CPU backend without AMX asks this before it picks oneDNN for bf16.
#pragma once

namespace r1::ops::cpu {

/// VDPBF16PS's flops per second over VFMADD231PS's, on 512-bit registers, from two ~0.1 ms
/// register-only loops (best of 3 each); 0 when the processor lacks AVX512-BF16.
double bf16_dot_flops_over_fma();

/// Whether bf16 prefill should go to oneDNN rather than the FMA kernel on a processor without
/// AMX: VDPBF16PS gives at least 1.5x the FMA flops (the margin covers oneDNN's lower share of
/// its peak). Measured on the first call, then remembered.
bool bf16_dot_outruns_fma();

}  // namespace r1::ops::cpu
