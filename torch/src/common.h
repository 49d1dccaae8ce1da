// Shared by every source file: the tensor table, the device/precision state, the op registry and attribute reading.
// Errors: a wrong argument from JavaScript is a TypeError or RangeError with one line, "<function>: <problem>"; an ATen
// failure inside an op is an Error "run(<op>): <ATen's first line>". Nothing here aborts the process.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>

#include "args.h"  // every exported function reads its arguments through it

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cover_torch {

// ---- tensor table (table.cc) ----
/** Stores t (moved to the current device if it is not there) and returns its id (>= 1). */
int64_t store(at::Tensor t);
/** The tensor with this id; throws RangeError "<where>: no tensor with id N" when there is none. */
const at::Tensor& fetch(Napi::Env env, int64_t id, const char* where);
/** The table's own entry for id, to update in place (the fused optimizer); the same RangeError as fetch(). */
at::Tensor& fetchEntry(Napi::Env env, int64_t id, const char* where);
void registerTable(Napi::Env env, Napi::Object exports);

// ---- device, threads, precision (state.cc) ----
enum class Precision { fp32, tf32, bf16 };
at::Device currentDevice();
Precision currentPrecision();
at::TensorOptions floatOptions();
void registerState(Napi::Env env, Napi::Object exports);
/** Puts the BLAS back to this backend's thread count (setThreads, else OpenBLAS's default) when another library in the
 * process changed it (the native accelerator pins the shared OpenBLAS to 1 thread): run() calls it before each op. Only a
 * count that differs is set, so ops pay one call, and switching between the two costs one set each way. */
void ensureBlasThreads();

// ---- dtypes ----
/** 'float32' | 'int32' | 'bool' -> ATen scalar type; TypeError on anything else. */
at::ScalarType parseDtype(Napi::Env env, const std::string& s, const char* where);
const char* dtypeName(at::ScalarType t);
/** int64 -> int32, double/half/bf16 -> float32: outputs always in tfjs's dtypes. */
at::Tensor normalize(const at::Tensor& t);

// ---- attributes of one run() call ----
class Attrs {
 public:
  Attrs(Napi::Env env, Napi::Object obj, const std::string& op) : env_(env), obj_(obj), op_(op) {}
  int64_t i(const char* name) const;
  double f(const char* name) const;
  bool b(const char* name) const;
  std::string s(const char* name) const;
  std::vector<int64_t> ints(const char* name) const;
  bool has(const char* name) const;
  [[noreturn]] void fail(const std::string& msg) const;

 private:
  Napi::Value get(const char* name) const;
  Napi::Env env_;
  Napi::Object obj_;
  std::string op_;
};

// ---- op registry (dispatch.cc); ops_*.cc add theirs with REGISTER_OP ----
using Tensors = std::vector<at::Tensor>;
using OpFn = std::function<Tensors(const Tensors&, const Attrs&)>;
struct OpDef {
  int minInputs;
  int maxInputs;  // -1: any number
  OpFn fn;
};
bool registerOp(const char* name, OpDef def);
void registerDispatch(Napi::Env env, Napi::Object exports);
void registerOptimizer(Napi::Env env, Napi::Object exports);  // ops_optimizer.cc

// ---- c10d collectives for data parallel (dist.cc) ----
void registerDist(Napi::Env env, Napi::Object exports);

/** Matmul honouring the precision setting (bf16: operands cast to bfloat16, result back to float32). */
at::Tensor precisionMatmul(const at::Tensor& a, const at::Tensor& b);

}  // namespace cover_torch

#define COVER_CAT2(a, b) a##b
#define COVER_CAT(a, b) COVER_CAT2(a, b)
/** REGISTER_OP("Add", 2, 2, [](const Tensors& x, const Attrs& a) -> Tensors { ... }); */
#define REGISTER_OP(name, minIn, maxIn, ...) \
  static const bool COVER_CAT(registered_, __LINE__) = ::cover_torch::registerOp(name, ::cover_torch::OpDef{minIn, maxIn, __VA_ARGS__})
