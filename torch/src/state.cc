// Where and how ops run: the device (cpu, or cuda when this libtorch has CUDA and a GPU is visible), ATen's intra-op
// thread count, and the matmul precision (fp32; tf32 lets cuBLAS use TF32 tensor cores; bf16 casts matmul operands to
// bfloat16 and the result back, so weights and optimizer state stay float32).
#include "common.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>

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
  return o;
}

Napi::Value InfoFn(const Napi::CallbackInfo& info) { return Info(info.Env()); }

// setDevice('cpu' | 'cuda') -> info(); moves every live tensor there.
Napi::Value SetDevice(const Napi::CallbackInfo& info);

// The BLAS libtorch calls for matmuls (OpenBLAS on Debian) keeps its own thread pool; follow ATen's count when it has
// the setter (MKL, as in pip wheels, follows ATen by itself).
void setBlasThreads(int n) {
  using SetFn = void (*)(int);
  if (auto f = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

// setThreads(n >= 1) -> threads now in effect (ATen's intra-op pool and the BLAS's)
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double n = numArg(info, 0, "setThreads", "threads");
  if (!(n >= 1 && n <= 4096) || n != static_cast<int>(n)) throwRange(env, "setThreads", "threads must be an integer in [1, 4096]");
  at::set_num_threads(static_cast<int>(n));
  setBlasThreads(static_cast<int>(n));
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
