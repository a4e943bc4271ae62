// OpenBLAS sizes its thread pool from the environment when it is loaded,
// before main(): to measure one thread, as a bench-run worker runs, set the
// variables and re-execute once.
#pragma once

#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>

namespace genbench::bench {

inline void single_thread(char** argv) {
  if (!std::getenv("GENBENCH_BENCH_PINNED")) {
    setenv("GENBENCH_BENCH_PINNED", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    setenv("MKL_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);  // on failure, go on unpinned
  }
  torch::set_num_threads(1);
}

}  // namespace genbench::bench
