// The optimizer step over every parameter in one call (AdamW, SGD with Nesterov momentum) and the sum of squares of
// every gradient (the global norm), in place of tfjs's ~10 kernels per parameter per step. Parameters and slots are
// updated in place in the table (made exclusive first: a storage another tensor shares is copied once, so an update
// never shows through a view). The update math is cxx/optimizer_update.h's, shared with native/src/fused_optimizer.cc:
// src/train/optimizer.ts's unfused path in float32 with the constants rounded to float32 (the CUDA path takes the same
// constants through ATen ops); only sumSquares accumulates in double.
//   adamw(params, grads, m, v, weightDecay, lr, beta1, beta2, eps, step, gradScale)
//   sgd(params, grads, bufs, weightDecay, lr, momentum, nesterov, gradScale)   (bufs empty without momentum)
//   sumSquares(ids) -> number
#include "common.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "optimizer_update.h"

namespace cover_torch {
namespace {

constexpr int64_t kGrain = 1 << 15;

/** The table's tensor `id`, made contiguous and the only user of its storage, to be written in place. */
at::Tensor& owned(Napi::Env env, int64_t id, const char* fn) {
  at::Tensor& t = fetchEntry(env, id, fn);
  if (t.scalar_type() != at::kFloat) throw Napi::TypeError::New(env, std::string(fn) + ": tensor " + std::to_string(id) + " is not float32");
  if (!t.is_contiguous() || t.use_count() > 1 || t.storage().use_count() > 1) t = t.clone(at::MemoryFormat::Contiguous);
  return t;
}

/** The tensors `ids` to be updated in place, one per parameter, each with the parameter's element count. */
std::vector<at::Tensor*> ownedList(Napi::Env env, const std::vector<int64_t>& ids, const std::vector<int64_t>& sizes, const char* fn,
                                   const char* what) {
  if (ids.size() != sizes.size()) {
    throw Napi::RangeError::New(env, std::string(fn) + ": " + what + " has " + std::to_string(ids.size()) + " tensors, params has " + std::to_string(sizes.size()));
  }
  std::vector<at::Tensor*> out;
  for (size_t k = 0; k < ids.size(); k++) {
    at::Tensor& t = owned(env, ids[k], fn);
    if (t.numel() != sizes[k]) {
      throw Napi::RangeError::New(env, std::string(fn) + ": " + what + "[" + std::to_string(k) + "] has " + std::to_string(t.numel()) +
                                           " elements, params[" + std::to_string(k) + "] has " + std::to_string(sizes[k]));
    }
    out.push_back(&t);
  }
  return out;
}

/** The gradients, read only (contiguous float32 copies where they are not already). */
std::vector<at::Tensor> gradList(Napi::Env env, const std::vector<int64_t>& ids, const std::vector<int64_t>& sizes, const char* fn) {
  if (ids.size() != sizes.size()) {
    throw Napi::RangeError::New(env, std::string(fn) + ": grads has " + std::to_string(ids.size()) + " tensors, params has " + std::to_string(sizes.size()));
  }
  std::vector<at::Tensor> out;
  for (size_t k = 0; k < ids.size(); k++) {
    const at::Tensor& g = fetch(env, ids[k], fn);
    if (g.scalar_type() != at::kFloat) throw Napi::TypeError::New(env, std::string(fn) + ": grads[" + std::to_string(k) + "] is not float32");
    if (g.numel() != sizes[k]) {
      throw Napi::RangeError::New(env, std::string(fn) + ": grads[" + std::to_string(k) + "] has " + std::to_string(g.numel()) +
                                           " elements, params[" + std::to_string(k) + "] has " + std::to_string(sizes[k]));
    }
    out.push_back(g.contiguous());
  }
  return out;
}

void checkDecay(Napi::Env env, const std::vector<double>& wds, size_t n, const char* fn) {
  if (wds.size() != n) {
    throw Napi::RangeError::New(env, std::string(fn) + ": weightDecay has " + std::to_string(wds.size()) + " entries, params has " + std::to_string(n));
  }
}

/** Runs an ATen failure's message out as one line. */
template <typename F>
void guarded(Napi::Env env, const char* fn, F body) {
  try {
    body();
  } catch (const c10::Error& e) {
    std::string m = e.what_without_backtrace();
    throw Napi::Error::New(env, std::string(fn) + ": " + m.substr(0, m.find('\n')));
  }
}

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "adamw";
  std::vector<int64_t> pIds = idsArg(info, 0, fn, "params"), gIds = idsArg(info, 1, fn, "grads");
  std::vector<int64_t> mIds = idsArg(info, 2, fn, "m"), vIds = idsArg(info, 3, fn, "v");
  std::vector<double> wds = numsArg(info, 4, fn, "weightDecay");
  const double lr = numArg(info, 5, fn, "lr"), beta1 = numArg(info, 6, fn, "beta1"), beta2 = numArg(info, 7, fn, "beta2");
  const double eps = numArg(info, 8, fn, "eps"), step = numArg(info, 9, fn, "step"), gradScale = numArg(info, 10, fn, "gradScale");
  if (!(step >= 1)) throwRange(env, fn, "step must be >= 1 (the 1-based update count)");
  checkDecay(env, wds, pIds.size(), fn);
  std::vector<int64_t> sizes;
  for (int64_t id : pIds) sizes.push_back(fetch(env, id, fn).numel());
  std::vector<at::Tensor> gs = gradList(env, gIds, sizes, fn);
  std::vector<at::Tensor*> ps = ownedList(env, pIds, sizes, fn, "params");
  std::vector<at::Tensor*> ms = ownedList(env, mIds, sizes, fn, "m");
  std::vector<at::Tensor*> vs = ownedList(env, vIds, sizes, fn, "v");
  const cover_optim::AdamWConstants c = cover_optim::adamwConstants(lr, beta1, beta2, eps, step, gradScale);
  guarded(env, fn, [&] {
    for (size_t k = 0; k < ps.size(); k++) {
      at::Tensor& p = *ps[k];
      at::Tensor& m = *ms[k];
      at::Tensor& v = *vs[k];
      const float wd = static_cast<float>(wds[k]);
      if (!p.is_cpu()) {  // the same steps as ATen ops (cuda)
        at::Tensor g = c.scaled ? gs[k].view_as(p) * c.gradScale : gs[k].view_as(p);
        m.mul_(c.b1).add_(g.view_as(m) * c.ob1);
        v.mul_(c.b2).add_((g * g).view_as(v) * c.ob2);
        at::Tensor update = (m.view_as(p) / c.c1) / ((v.view_as(p) / c.c2).sqrt() + c.eps);
        if (wd != 0) update.add_(p * wd);
        p.sub_(update * c.lr);
        continue;
      }
      float* pp = p.data_ptr<float>();
      float* mp = m.data_ptr<float>();
      float* vp = v.data_ptr<float>();
      const float* gp = gs[k].data_ptr<float>();
      at::parallel_for(0, p.numel(), kGrain, [&](int64_t i0, int64_t i1) { cover_optim::adamwRange(pp, gp, mp, vp, wd, c, i0, i1); });
    }
  });
  return env.Undefined();
}

Napi::Value Sgd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "sgd";
  std::vector<int64_t> pIds = idsArg(info, 0, fn, "params"), gIds = idsArg(info, 1, fn, "grads"), bIds = idsArg(info, 2, fn, "bufs");
  std::vector<double> wds = numsArg(info, 3, fn, "weightDecay");
  const double lr = numArg(info, 4, fn, "lr"), momentum = numArg(info, 5, fn, "momentum");
  const bool nesterov = boolArg(info, 6, fn, "nesterov");
  const double gradScale = numArg(info, 7, fn, "gradScale");
  checkDecay(env, wds, pIds.size(), fn);
  const cover_optim::SgdConstants c = cover_optim::sgdConstants(lr, momentum, nesterov, gradScale);
  std::vector<int64_t> sizes;
  for (int64_t id : pIds) sizes.push_back(fetch(env, id, fn).numel());
  std::vector<at::Tensor> gs = gradList(env, gIds, sizes, fn);
  std::vector<at::Tensor*> ps = ownedList(env, pIds, sizes, fn, "params");
  std::vector<at::Tensor*> bs = c.useMomentum ? ownedList(env, bIds, sizes, fn, "bufs") : std::vector<at::Tensor*>();
  guarded(env, fn, [&] {
    for (size_t k = 0; k < ps.size(); k++) {
      at::Tensor& p = *ps[k];
      const float wd = static_cast<float>(wds[k]);
      if (!p.is_cpu()) {
        at::Tensor d = c.scaled ? gs[k].view_as(p) * c.gradScale : gs[k].view_as(p);
        if (wd != 0) d = d + p * wd;
        if (c.useMomentum) {
          at::Tensor& buf = *bs[k];
          buf.mul_(c.momentum).add_(d.view_as(buf));
          d = c.nesterov ? d + buf.view_as(p) * c.momentum : buf.view_as(p);
        }
        p.sub_(d * c.lr);
        continue;
      }
      float* pp = p.data_ptr<float>();
      float* bp = c.useMomentum ? bs[k]->data_ptr<float>() : nullptr;
      const float* gp = gs[k].data_ptr<float>();
      at::parallel_for(0, p.numel(), kGrain, [&](int64_t i0, int64_t i1) { cover_optim::sgdRange(pp, gp, bp, wd, c, i0, i1); });
    }
  });
  return env.Undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "sumSquares";
  std::vector<int64_t> ids = idsArg(info, 0, fn, "ids");
  double total = 0;
  guarded(env, fn, [&] {
    for (int64_t id : ids) {
      const at::Tensor& t = fetch(env, id, fn);
      if (t.scalar_type() != at::kFloat) throw Napi::TypeError::New(env, "sumSquares: tensor " + std::to_string(id) + " is not float32");
      if (!t.is_cpu()) {
        at::Tensor d = t.to(at::kDouble);
        total += (d * d).sum().item<double>();
        continue;
      }
      at::Tensor c = t.contiguous();
      const float* x = c.data_ptr<float>();
      total += at::parallel_reduce(0, c.numel(), kGrain, 0.0, [&](int64_t i0, int64_t i1, double s) {
        for (int64_t i = i0; i < i1; i++) s += static_cast<double>(x[i]) * x[i];
        return s;
      }, std::plus<double>());
    }
  });
  return Napi::Number::New(env, total);
}

// Clone(x) -> a copy with its own storage (the backend gives a variable an exclusive tensor before updating it in place).
REGISTER_OP("Clone", 1, 1, [](const Tensors& in, const Attrs&) -> Tensors { return {in[0].clone(at::MemoryFormat::Contiguous)}; });

}  // namespace

void registerOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("adamw", Napi::Function::New(env, AdamW, "adamw"));
  exports.Set("sgd", Napi::Function::New(env, Sgd, "sgd"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
}

}  // namespace cover_torch
