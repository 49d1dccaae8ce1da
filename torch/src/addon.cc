// The cover-torch addon: a table of at::Tensor by id (table.cc), the device/threads/precision state (state.cc) and an op
// dispatcher over ATen (dispatch.cc, ops_*.cc). The tfjs backend in src/engine/backends/torch drives it.
#include "common.h"

namespace cover_torch {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  registerTable(env, exports);
  registerState(env, exports);
  registerDispatch(env, exports);
  return exports;
}
}  // namespace cover_torch

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return cover_torch::Init(env, exports); }

NODE_API_MODULE(cover_torch, InitAddon)
