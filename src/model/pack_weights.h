// Repacking the layer matrices at load for the CPU kernels that read a layout of their own
// (q8_0: 16 rows interleaved, quant/packed_q8_0.h). The packed copy replaces the view; the
// file's pages of that matrix are released, so the process still holds each matrix once.
#pragma once

#include "model/model_weights.h"

namespace r1::model {

/// Repacks every q8_0 part of the layer and output matrices when this CPU runs the packed kernel
/// (AVX-512 VNNI); else leaves the weights as they are. Returns the number of matrices packed.
int pack_weights_for_cpu(ModelWeights& weights);

}  // namespace r1::model
