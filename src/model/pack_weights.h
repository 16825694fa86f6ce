// Repacking the layer matrices at load for the CPU kernels that read a layout of their own
// (16 rows interleaved: quant/packed_q8_0.h for q8_0, quant/packed_q4.h for q4_0 and q4_1,
// quant/packed_k.h for q4_k, q5_k and q6_k), and copying the 16-bit ones (bf16, f16) as they are
// into the same huge-page arena, where the one-token products read them faster than from the
// file's page cache.
// The packed copy replaces the view; the file's pages of that matrix are released, so the process
// still holds each matrix once.
#pragma once

#include "model/model_weights.h"

namespace r1::model {

/// Repacks every q8_0, q4_0, q4_1, q4_k, q5_k and q6_k part of the layer and output matrices for
/// which this CPU runs the packed kernel (AVX-512 VNNI; VBMI too for the K-quants), copies every
/// bf16 and f16 part (layout rows; not an lm_head tied to the embedding); leaves the rest as it
/// is. Returns the number of matrices packed or copied.
int pack_weights_for_cpu(ModelWeights& weights);

}  // namespace r1::model
