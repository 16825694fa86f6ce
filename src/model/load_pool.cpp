#include "model/load_pool.h"

#include "core/cpu_info.h"

namespace r1::model {

ThreadPool& load_pool() {
  static ThreadPool pool(physical_core_count());
  return pool;
}

}  // namespace r1::model
