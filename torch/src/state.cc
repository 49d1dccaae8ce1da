// Where and how ops run: the device (cpu, or cuda when this libtorch has CUDA and a GPU is visible), ATen's intra-op
// thread count and the BLAS's, and the matmul precision (fp32; tf32 lets cuBLAS use TF32 tensor cores; bf16 casts matmul operands to
// bfloat16 and the result back, so weights and optimizer state stay float32).
#include "common.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <unordered_map>

namespace cover_torch {

namespace {
at::Device device = at::kCPU;
Precision precision = Precision::fp32;

const char* precisionName(Precision p) { return p == Precision::fp32 ? "fp32" : p == Precision::tf32 ? "tf32" : "bf16"; }

int cudaDevices() {
  try {
    return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  } catch (...) {
    return 0;
  }
}

// The BLAS libtorch calls for matmuls (OpenBLAS on Debian) keeps its own thread count, process-wide: another library in
// the process can change it under us (the native accelerator pins the same libopenblas.so.0 to 1 thread when it loads,
// which halved this backend's GEMM rate on 2 cores). So the count this backend wants is kept here and set again before
// an op when it differs (ensureBlasThreads). Not put back after each op: a set costs microseconds and makes OpenBLAS's
// workers spin on (a `tiny` step took 1.35x longer, a `small` one 1.2-1.3x on a loaded machine); MKL, as in pip wheels,
// follows ATen by itself and has no such setter.
using BlasGetFn = int (*)();
using BlasSetFn = void (*)(int);
using BlasCoreFn = char* (*)();
/** A symbol of the OpenBLAS libtorch loaded (node loads addons RTLD_LOCAL, so the global scope does not have it). */
void* openblasSymbol(const char* name) {
  static void* lib = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
  void* f = lib ? dlsym(lib, name) : nullptr;
  return f ? f : dlsym(RTLD_DEFAULT, name);
}
BlasGetFn blasGet = reinterpret_cast<BlasGetFn>(openblasSymbol("openblas_get_num_threads"));
BlasSetFn blasSet = reinterpret_cast<BlasSetFn>(openblasSymbol("openblas_set_num_threads"));
BlasCoreFn blasCore = reinterpret_cast<BlasCoreFn>(openblasSymbol("openblas_get_corename"));

/** OpenBLAS's own default, whatever another library set before this addon loaded: $OPENBLAS_NUM_THREADS, else the
 * CPUs this process may run on. */
int defaultBlasThreads() {
  const char* env = std::getenv("OPENBLAS_NUM_THREADS");
  if (env && std::atoi(env) >= 1) return std::atoi(env);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1) return CPU_COUNT(&set);
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}
int blasThreads = defaultBlasThreads();

Napi::Object Info(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", std::string(TORCH_VERSION));
#ifdef COVER_TORCH_CUDA
  o.Set("cuda", true);
#else
  o.Set("cuda", false);
#endif
  o.Set("cudaDevices", cudaDevices());
  o.Set("device", device.is_cuda() ? "cuda" : "cpu");
  o.Set("precision", precisionName(precision));
  o.Set("threads", at::get_num_threads());
  o.Set("blasThreads", blasGet ? blasThreads : 0);
  o.Set("blasCore", blasCore ? std::string(blasCore()) : std::string());
  return o;
}

Napi::Value InfoFn(const Napi::CallbackInfo& info) { return Info(info.Env()); }

// setDevice('cpu' | 'cuda') -> info(); moves every live tensor there.
Napi::Value SetDevice(const Napi::CallbackInfo& info);


// setThreads(n >= 1) -> threads now in effect (ATen's intra-op pool and the BLAS's)
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double n = numArg(info, 0, "setThreads", "threads");
  if (!(n >= 1 && n <= 4096) || n != static_cast<int>(n)) throwRange(env, "setThreads", "threads must be an integer in [1, 4096]");
  at::set_num_threads(static_cast<int>(n));
  blasThreads = static_cast<int>(n);
  return Napi::Number::New(env, at::get_num_threads());
}

// setPrecision('fp32' | 'tf32' | 'bf16') -> the precision now in effect
Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string p = choiceArg(info, 0, "setPrecision", "precision", {"fp32", "tf32", "bf16"});
  precision = p == "fp32" ? Precision::fp32 : p == "tf32" ? Precision::tf32 : Precision::bf16;
  at::globalContext().setAllowTF32CuBLAS(precision == Precision::tf32);
  at::globalContext().setAllowTF32CuDNN(precision == Precision::tf32);
  return Napi::String::New(env, precisionName(precision));
}

}  // namespace

void moveTableTo(at::Device dev);  // table.cc

namespace {
Napi::Value SetDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string d = choiceArg(info, 0, "setDevice", "device", {"cpu", "cuda"});
  if (d == "cpu") {
    device = at::kCPU;
  } else {
    if (cudaDevices() == 0) {
#ifdef COVER_TORCH_CUDA
      throw Napi::Error::New(env, "setDevice: this libtorch has CUDA but no GPU is visible");
#else
      throw Napi::Error::New(env, "setDevice: this libtorch was built without CUDA");
#endif
    }
    device = at::Device(at::kCUDA, 0);
  }
  moveTableTo(device);
  return Info(env);
}
}  // namespace

void ensureBlasThreads() {
  if (blasGet && blasSet && blasGet() != blasThreads) blasSet(blasThreads);
}

at::Device currentDevice() { return device; }
Precision currentPrecision() { return precision; }
at::TensorOptions floatOptions() { return at::TensorOptions().dtype(at::kFloat).device(device); }

at::Tensor precisionMatmul(const at::Tensor& a, const at::Tensor& b) {
  if (precision == Precision::bf16 && a.scalar_type() == at::kFloat && b.scalar_type() == at::kFloat) {
    return at::matmul(a.to(at::kBFloat16), b.to(at::kBFloat16)).to(at::kFloat);
  }
  return at::matmul(a, b);
}

at::ScalarType parseDtype(Napi::Env env, const std::string& s, const char* where) {
  if (s == "float32") return at::kFloat;
  if (s == "int32") return at::kInt;
  if (s == "bool") return at::kBool;
  throw Napi::TypeError::New(env, std::string(where) + ": dtype must be 'float32', 'int32' or 'bool', not '" + s + "'");
}

const char* dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kInt: return "int32";
    case at::kBool: return "bool";
    default: return "other";
  }
}

at::Tensor normalize(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat:
    case at::kInt:
    case at::kBool: return t;
    case at::kLong:
    case at::kShort:
    case at::kChar:
    case at::kByte: return t.to(at::kInt);
    default: return t.to(at::kFloat);
  }
}

void registerState(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, InfoFn, "info"));
  exports.Set("setDevice", Napi::Function::New(env, SetDevice, "setDevice"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("setPrecision", Napi::Function::New(env, SetPrecision, "setPrecision"));
}

}  // namespace cover_torch
