// A STREAM-like read test: how many GB/s T threads can read from memory.
// Usage: stream_read THREADS [MiB] [PASSES]. Every pass reads the whole buffer (default 2 GiB,
// far bigger than any cache) once, each thread its own contiguous slice; prints the best pass
// as "GB/s <value>" (1 GB = 1e9 bytes). Compiled by bandwidth.py with -O3 -march=native -fopenmp.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 1;
  const size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 2048;
  const int passes = argc > 3 ? atoi(argv[3]) : 6;
  const size_t n = mib * 1024 * 1024 / sizeof(uint64_t);
  uint64_t* data = aligned_alloc(64, n * sizeof(uint64_t));
  if (!data) return 1;
  omp_set_num_threads(threads);
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) data[i] = i;  // first touch by the thread that reads it
  double best = 0;
  uint64_t check = 0;
  for (int p = 0; p < passes; ++p) {
    uint64_t sum = 0;
    const double start = omp_get_wtime();
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (size_t i = 0; i < n; ++i) sum += data[i];
    const double seconds = omp_get_wtime() - start;
    const double gbps = (double)(n * sizeof(uint64_t)) / seconds / 1e9;
    if (gbps > best) best = gbps;
    check += sum;
  }
  printf("GB/s %.2f\nchecksum %llu\n", best, (unsigned long long)check);
  free(data);
  return 0;
}
