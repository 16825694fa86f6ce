#include "core/cpu_info.h"

#include <sched.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace r1 {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
  // F16C and AMX are not in every compiler's __builtin_cpu_supports list: read CPUID directly.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  f.f16c = (ecx >> 29) & 1;
  const bool osxsave = (ecx >> 27) & 1;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
  const bool amx_bf16 = (edx >> 22) & 1, amx_tile = (edx >> 24) & 1, amx_int8 = (edx >> 25) & 1;
  if (osxsave && amx_tile) {
    // XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA) say whether the OS supports the tile state;
    // Linux still requires each process to ask for it (arch_prctl, done by the AMX kernels).
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const bool os_tiles = ((lo >> 17) & 3) == 3;
    f.amx_tile = os_tiles;
    f.amx_bf16 = os_tiles && amx_bf16;
    f.amx_int8 = os_tiles && amx_int8;
  }
#endif
  return f;
}

}  // namespace

std::string CpuFeatures::describe() const {
  std::string text;
  const std::pair<bool, const char*> all[] = {{avx2, "avx2"},         {fma, "fma"},
                                              {f16c, "f16c"},         {avx512f, "avx512f"},
                                              {avx512bw, "avx512bw"}, {avx512vl, "avx512vl"},
                                              {avx512vnni, "vnni"},   {avx512bf16, "avx512bf16"},
                                              {amx_tile, "amx"},      {amx_bf16, "amx_bf16"},
                                              {amx_int8, "amx_int8"}};
  for (const auto& [present, name] : all) {
    if (!present) continue;
    if (!text.empty()) text += ' ';
    text += name;
  }
  return text.empty() ? "none" : text;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

int physical_core_count() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  std::set<std::pair<std::string, std::string>> cores;  // (package id, core id)
  int logical = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    ++logical;
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream package(base + "physical_package_id"), core(base + "core_id");
    std::string package_id, core_id;
    if (!(package >> package_id) || !(core >> core_id)) {
      core_id = "cpu" + std::to_string(cpu);  // no topology: count every allowed CPU
    }
    cores.emplace(package_id, core_id);
  }
  return std::max(1, static_cast<int>(cores.empty() ? logical : cores.size()));
}

}  // namespace r1
