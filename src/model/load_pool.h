// The threads that convert weights while a model loads (quantizing with --quant, repacking for
// the CPU kernels): one pool of the physical cores, started on first use, idle afterwards.
#pragma once

#include "core/thread_pool.h"

namespace r1::model {

ThreadPool& load_pool();

}  // namespace r1::model
