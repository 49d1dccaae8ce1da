// Ops that move data without arithmetic: Reshape, Transpose, Slice, Concat, SplitV, Pack/Unpack, PadV2, Tile, Reverse,
// GatherV2, BroadcastTo, and the ones that make tensors from attributes (Fill, OneHot, Range). Attributes arrive resolved
// by the JavaScript side (no -1 sizes, axes in [0, rank)). Slices and splits are copied, so a small slice never keeps a
// large tensor's memory alive after tfjs disposes it.
#include "common.h"

namespace cover_torch {
namespace {

at::ScalarType dtypeAttr(const Attrs& a) {
  std::string d = a.s("dtype");
  if (d == "float32") return at::kFloat;
  if (d == "int32") return at::kInt;
  if (d == "bool") return at::kBool;
  a.fail("dtype must be 'float32', 'int32' or 'bool'");
}

REGISTER_OP("Reshape", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors { return {in[0].reshape(a.ints("shape"))}; });
REGISTER_OP("Transpose", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors { return {in[0].permute(a.ints("perm"))}; });

REGISTER_OP("Slice", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  std::vector<int64_t> begin = a.ints("begin"), size = a.ints("size");
  at::Tensor x = in[0];
  if (static_cast<int64_t>(begin.size()) != x.dim() || size.size() != begin.size()) a.fail("begin and size need one entry per axis");
  for (int64_t d = 0; d < x.dim(); d++) x = x.narrow(d, begin[d], size[d]);
  return {x.contiguous()};
});

REGISTER_OP("Concat", 1, -1, [](const Tensors& in, const Attrs& a) -> Tensors { return {at::cat(in, a.i("axis"))}; });

REGISTER_OP("SplitV", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  auto parts = at::split_with_sizes(in[0], a.ints("sizes"), a.i("axis"));
  Tensors out;
  for (auto& p : parts) out.push_back(p.contiguous());
  return out;
});

REGISTER_OP("Pack", 1, -1, [](const Tensors& in, const Attrs& a) -> Tensors { return {at::stack(in, a.i("axis"))}; });
REGISTER_OP("Unpack", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  Tensors out;
  for (auto& p : at::unbind(in[0], a.i("axis"))) out.push_back(p.contiguous());
  return out;
});

// pads: [before0, after0, before1, after1, ...] in axis order (tfjs's paddings, flattened).
REGISTER_OP("PadV2", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  std::vector<int64_t> p = a.ints("pads");
  const at::Tensor& x = in[0];
  if (static_cast<int64_t>(p.size()) != 2 * x.dim()) a.fail("paddings need one [before, after] pair per axis");
  std::vector<int64_t> torchPads;  // last axis first
  for (int64_t d = x.dim() - 1; d >= 0; d--) {
    torchPads.push_back(p[2 * d]);
    torchPads.push_back(p[2 * d + 1]);
  }
  return {at::constant_pad_nd(x, torchPads, a.f("constantValue"))};
});

REGISTER_OP("Tile", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors { return {in[0].repeat(a.ints("reps"))}; });
REGISTER_OP("Reverse", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors { return {in[0].flip(a.ints("dims"))}; });
REGISTER_OP("BroadcastTo", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  return {in[0].expand(a.ints("shape")).contiguous()};
});

// GatherV2 with batchDims 0: x.shape[:axis] + indices.shape + x.shape[axis+1:].
REGISTER_OP("GatherV2", 2, 2, [](const Tensors& in, const Attrs& a) -> Tensors {
  const at::Tensor& x = in[0];
  int64_t axis = a.i("axis");
  at::Tensor idx = in[1].to(at::kLong);
  at::Tensor flat = at::index_select(x, axis, idx.reshape({-1}));
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + axis);
  for (int64_t d : idx.sizes()) shape.push_back(d);
  for (int64_t d = axis + 1; d < x.dim(); d++) shape.push_back(x.size(d));
  return {flat.reshape(shape)};
});

REGISTER_OP("Fill", 0, 0, [](const Tensors&, const Attrs& a) -> Tensors {
  return {at::full(a.ints("shape"), a.f("value"), at::TensorOptions().dtype(dtypeAttr(a)).device(currentDevice()))};
});

// OneHot: indices out of [0, depth) give a row of offValue, as tfjs.
REGISTER_OP("OneHot", 1, 1, [](const Tensors& in, const Attrs& a) -> Tensors {
  int64_t depth = a.i("depth");
  const at::Tensor& idx = in[0];
  at::Tensor hot = at::eq(idx.to(at::kLong).unsqueeze(-1), at::arange(depth, idx.options().dtype(at::kLong)));
  at::ScalarType dt = dtypeAttr(a);
  at::Tensor on = at::full({}, a.f("onValue"), idx.options().dtype(dt));
  at::Tensor off = at::full({}, a.f("offValue"), idx.options().dtype(dt));
  return {at::where(hot, on, off)};
});

// Range: n = max(ceil((stop - start) / step), 0) values start + i * step.
REGISTER_OP("Range", 0, 0, [](const Tensors&, const Attrs& a) -> Tensors {
  double start = a.f("start"), stop = a.f("stop"), step = a.f("step");
  if (step == 0) a.fail("step must not be 0");
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((stop - start) / step)));
  at::ScalarType dt = dtypeAttr(a);
  at::Tensor i = at::arange(n, at::TensorOptions().dtype(at::kDouble).device(currentDevice()));
  return {(i * step + start).to(dt)};
});

}  // namespace
}  // namespace cover_torch
