#include "blas.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace cover {
namespace {

// CBLAS enum values (cblas.h), declared here so no BLAS headers are needed to build.
constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SetThreadsFn = void (*)(int);

SgemmFn gSgemm = nullptr;
std::string gName = "none";
std::string gPath;
std::once_flag gOnce;

std::string nameOf(const std::string& path) {
  if (path.find("openblas") != std::string::npos) return "openblas";
  if (path.find("blis") != std::string::npos) return "blis";
  if (path.find("mkl") != std::string::npos) return "mkl";
  return "blas";
}

// Sets an environment variable for the duration of the BLAS's load only, so child processes (ffmpeg, or a PyTorch
// the bench starts) inherit the user's environment, not ours.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (!had_) setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (!had_) unsetenv(name_);
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

void load() {
  // Read by OpenBLAS / BLIS / MKL when they initialise (during dlopen): our pool owns the threads. A value the user
  // set is kept; the *_set_num_threads calls below pin 1 thread anyway.
  ScopedEnv openblas("OPENBLAS_NUM_THREADS", "1");
  ScopedEnv blis("BLIS_NUM_THREADS", "1");
  ScopedEnv mkl("MKL_NUM_THREADS", "1");
  const char* candidates[] = {std::getenv("COVER_BLAS"), "libopenblas.so.0", "libopenblas.so", "libblis.so.4", "libmkl_rt.so", "libblas.so.3"};
  for (const char* c : candidates) {
    if (!c || !*c) continue;
    void* h = dlopen(c, RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    auto fn = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
    if (!fn) {
      dlclose(h);
      continue;
    }
    if (auto set = reinterpret_cast<SetThreadsFn>(dlsym(h, "openblas_set_num_threads"))) set(1);
    if (auto set = reinterpret_cast<SetThreadsFn>(dlsym(h, "bli_thread_set_num_threads"))) set(1);
    if (auto set = reinterpret_cast<SetThreadsFn>(dlsym(h, "MKL_Set_Num_Threads"))) set(1);
    gSgemm = fn;
    gPath = c;
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(fn), &info) && info.dli_fname) gPath = info.dli_fname;
    gName = nameOf(gPath);
    return;
  }
}

// The fallback: correct and cache-friendly enough (i-k-j order, 64-wide k blocks), far below a real BLAS.
void naiveSgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                float beta, float* C, int ldc) {
  for (int i = 0; i < M; i++) {
    float* c = C + static_cast<long>(i) * ldc;
    if (beta == 0.f) std::memset(c, 0, sizeof(float) * N);
    else if (beta != 1.f) for (int j = 0; j < N; j++) c[j] *= beta;
    for (int k = 0; k < K; k++) {
      const float a = alpha * (transA ? A[static_cast<long>(k) * lda + i] : A[static_cast<long>(i) * lda + k]);
      if (a == 0.f) continue;
      if (!transB) {
        const float* b = B + static_cast<long>(k) * ldb;
        for (int j = 0; j < N; j++) c[j] += a * b[j];
      } else {
        for (int j = 0; j < N; j++) c[j] += a * B[static_cast<long>(j) * ldb + k];
      }
    }
  }
}

}  // namespace

void initBlas() { std::call_once(gOnce, load); }

const char* blasName() {
  initBlas();
  return gName.c_str();
}

const char* blasPath() {
  initBlas();
  return gPath.c_str();
}

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
           float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  initBlas();
  if (K <= 0) {
    naiveSgemm(transA, transB, M, N, 0, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (gSgemm) {
    gSgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    naiveSgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

}  // namespace cover
