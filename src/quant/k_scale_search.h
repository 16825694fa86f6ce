// The per-sub-block scale searches of ggml's K-quant reference quantizers (ggml-quants.c
// make_qkx2_quants and make_qx_quants, without importance weights), and the 6-bit packing of
// Q4_K/Q5_K sub-block scales and mins.
#pragma once

#include <cstdint>

namespace r1::quant::ref {

/// Asymmetric fit x ~ scale * L - min_out with L in [0, nmax]: starts from the min/max grid,
/// then tries nstep + 1 grids with iscale = (rmin + rdelta * is + nmax) / (max - min) and keeps
/// the weighted least-squares (scale, min) of the grid with the smallest weighted squared
/// error. Writes L[0..n), *min_out (>= 0, the amount subtracted) and returns scale.
/// `laux` is scratch of n bytes.
float search_scale_min(int n, int nmax, const float* x, const float* weights, std::uint8_t* L,
                       float* min_out, std::uint8_t* laux, float rmin, float rdelta, int nstep);

/// Symmetric fit x ~ scale * (L - nmax) with L - nmax in [-nmax, nmax - 1] and weights x^2
/// (ggml's rmse_type 1): tries iscale = -(nmax + 0.1 is) / max for is in -9..9 and keeps the
/// least-squares scale of the best grid. Writes L[0..n) (biased by nmax; all 0 when the
/// sub-block is all below 1e-15 in magnitude) and returns the scale.
float search_scale_symmetric(int n, int nmax, const float* x, std::int8_t* L);

/// Quantizes 8 sub-block scales and mins (all >= 0 in practice) to 6 bits relative to their
/// maxima and packs them into Q4_K/Q5_K's 12 bytes; returns d = max_scale / 63 and
/// dmin = max_min / 63 through the pointers (as f32, before f16 rounding).
void pack_scales_mins_k4(const float* scales, const float* mins, std::uint8_t* packed, float* d,
                         float* dmin);

}  // namespace r1::quant::ref
