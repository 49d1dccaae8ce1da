// Reductions over `axes` (non-empty, normalised to [0, rank) by the JavaScript side) with keepDims; ArgMax/ArgMin over one
// axis (int32 results); Softmax/LogSoftmax over the last axis; TopK (ties: the lower index first, as tfjs).
#include "common.h"

namespace cover_torch {
namespace {

/** Reduces `x` over each axis in turn, the last first (so that the earlier axes keep their numbers without keepDims):
 * for ATen reductions that take one axis at a time (prod, any, all). */
template <typename F>
at::Tensor perAxis(at::Tensor x, std::vector<int64_t> axes, F reduceOne) {
  std::sort(axes.rbegin(), axes.rend());
  for (int64_t ax : axes) x = reduceOne(x, ax);
  return x;
}

#define REDUCE(name, expr)                                                          \
  REGISTER_OP(name, 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {       \
    const at::Tensor& x = in[0];                                                    \
    std::vector<int64_t> axes = a.ints("axes");                                     \
    bool keep = a.b("keepDims");                                                    \
    if (axes.empty()) a.fail("axes must not be empty");                             \
    return {expr};                                                                  \
  })

REDUCE("Sum", x.scalar_type() == at::kFloat ? at::sum(x, axes, keep) : at::sum(x, axes, keep, at::kInt));
REDUCE("Mean", at::mean(at::isFloatingType(x.scalar_type()) ? x : x.to(at::kFloat), axes, keep));
REDUCE("Max", at::amax(x, axes, keep));
REDUCE("Min", at::amin(x, axes, keep));
REDUCE("Prod", perAxis(x.scalar_type() == at::kFloat ? x : x.to(at::kInt), axes,
                      [&](const at::Tensor& r, int64_t ax) { return at::prod(r, ax, keep, r.scalar_type()); }));
REDUCE("Any", perAxis(x.to(at::kBool), axes, [&](const at::Tensor& r, int64_t ax) { return at::any(r, ax, keep); }));
REDUCE("All", perAxis(x.to(at::kBool), axes, [&](const at::Tensor& r, int64_t ax) { return at::all(r, ax, keep); }));

REGISTER_OP("ArgMax", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {at::argmax(in[0], a.i("axis"), false).to(at::kInt)};
});
REGISTER_OP("ArgMin", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {at::argmin(in[0], a.i("axis"), false).to(at::kInt)};
});

REGISTER_OP("Softmax", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {at::softmax(in[0], a.i("dim"))};
});
REGISTER_OP("LogSoftmax", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {at::log_softmax(in[0], a.i("axis"))};
});

// TopK over the last axis: a stable descending sort keeps equal values in index order, as tfjs's topk does.
REGISTER_OP("TopK", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  int64_t k = a.i("k");
  const at::Tensor& x = in[0];
  int64_t n = x.dim() == 0 ? 1 : x.size(-1);
  if (k < 0 || k > n) a.fail("k must be in [0, " + std::to_string(n) + "]");
  auto sorted = at::sort(x, /*stable=*/true, /*dim=*/-1, /*descending=*/true);
  return {std::get<0>(sorted).narrow(-1, 0, k).contiguous(), std::get<1>(sorted).narrow(-1, 0, k).to(at::kInt).contiguous()};
});

// Cumsum along one axis, optionally exclusive and/or reversed (tfjs's attrs).
REGISTER_OP("Cumsum", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  int64_t axis = a.i("axis");
  at::Tensor x = in[0];
  bool reverse = a.b("reverse");
  if (reverse) x = x.flip({axis});
  at::Tensor r = at::cumsum(x, axis, x.scalar_type() == at::kFloat ? at::kFloat : at::kInt);
  if (a.b("exclusive")) r = r - x;
  if (reverse) r = r.flip({axis});
  return {r};
});

}  // namespace
}  // namespace cover_torch
