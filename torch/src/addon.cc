// The cover-torch addon: a table of at::Tensor by id (table.cc), the device/threads/precision state (state.cc) and an op
// dispatcher over ATen (dispatch.cc, ops_*.cc), the optimizer step over every parameter in one call (ops_optimizer.cc) and
// c10d's collectives (dist.cc). The tfjs backend in src/engine/backends/torch drives it.
#include "common.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace cover_torch {

// glibc serves every allocation above its mmap threshold (128 KiB, growing to at most 32 MiB) with a fresh mmap and
// unmaps it on free, so each new activation page-faults again: a training step spent 4x longer in the attention
// backward on `small` than with the memory kept (docs/notes/libtorch-probe.md measured 91 s vs 45 s per `base` step in
// PyTorch). Keep freed memory for reuse, as PyTorch's caching allocator does: no mmap for the main arena (other
// threads' arenas still fall back to mmap for huge blocks), no trimming. COVER_TORCH_MALLOC=default leaves glibc's
// settings alone.
void keepFreedMemory() {
#ifdef __GLIBC__
  const char* mode = std::getenv("COVER_TORCH_MALLOC");
  if (mode && std::strcmp(mode, "default") == 0) return;
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  keepFreedMemory();
  registerTable(env, exports);
  registerState(env, exports);
  registerDispatch(env, exports);
  registerDist(env, exports);
  registerOptimizer(env, exports);
  return exports;
}
}  // namespace cover_torch

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return cover_torch::Init(env, exports); }

NODE_API_MODULE(cover_torch, InitAddon)
