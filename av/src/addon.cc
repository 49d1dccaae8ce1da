// The addon's JS surface (index.d.ts): info, setWorkers, probe, decode and scale. probe, decode and scale read their
// arguments here, on the JS thread, run on the decode pool (pool.h) (probe and decode with a Source from the cache,
// source_cache.h; scale with cover's scaler, scale.h), and settle their promise back on the JS thread through one
// thread-safe function per Node environment (Bridge).
#include <napi.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
}

#include "failure.h"
#include "hw.h"
#include "log.h"
#include "pool.h"
#include "scale.h"
#include "source_cache.h"

namespace coverav {
namespace {

struct Job;

/** One environment's way back to its JS thread; outlives the environment while workers still hold jobs of it. */
struct Bridge {
  std::mutex mu;
  bool closed = false;
  napi_threadsafe_function tsfn = nullptr;
  int pending = 0;  // JS thread only: jobs not settled yet (the tsfn keeps the loop alive while > 0)
};

struct Job {
  std::shared_ptr<Bridge> bridge;
  napi_deferred deferred = nullptr;
  bool isProbe = false;
  bool isScale = false;
  std::string path;
  Device device = Device::kCpu;
  int codecThreads = 1;
  std::vector<double> times;
  int width = 0, height = 0;
  // scale: `frames` frames of srcWidth x srcHeight, copied from the caller's buffer
  std::vector<uint8_t> src;
  int count = 0, srcWidth = 0, srcHeight = 0;
  // results
  bool ok = false;
  std::string code, message, log;
  Facts facts;
  DecodedFrames frames;
};

/** On a worker: the job's work, then back to its environment (or dropped when that environment is gone). */
void run(Job* job) {
  try {
    if (job->isScale) {
      job->frames.rgb.resize(static_cast<size_t>(job->count) * job->width * job->height * 3);
      scaleRgb(job->src.data(), job->count, job->srcWidth, job->srcHeight, job->frames.rgb.data(), job->width, job->height);
      job->frames.filled = job->count;
      job->frames.width = job->width;
      job->frames.height = job->height;
    } else {
      std::unique_ptr<Source> s = sourceCache().take(job->path, job->device, job->codecThreads);
      if (job->isProbe) job->facts = s->probe(true);
      else job->frames = s->decode(job->times, job->width, job->height);
      sourceCache().give(std::move(s));
    }
    job->ok = true;
  } catch (const Failure& f) {
    job->code = f.code;
    job->message = f.what();
    job->log = f.log;
  } catch (const std::exception& e) {
    job->code = "internal";
    job->message = e.what();
  }
  std::shared_ptr<Bridge> b = job->bridge;
  std::lock_guard<std::mutex> lock(b->mu);
  if (b->closed || napi_call_threadsafe_function(b->tsfn, job, napi_tsfn_nonblocking) != napi_ok) delete job;
}

Napi::Value factsObject(Napi::Env env, const Facts& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("codec", f.codec);
  o.Set("width", f.width);
  o.Set("height", f.height);
  o.Set("rotation", f.rotation);
  o.Set("fps", f.fps);
  o.Set("streamDurationS", f.streamDurationS);
  o.Set("formatDurationS", f.formatDurationS);
  o.Set("declaredFrames", static_cast<double>(f.declaredFrames));
  o.Set("packets", static_cast<double>(f.packets));
  return o;
}

/** On the JS thread: settle the job's promise. env is null when the environment is being torn down. */
void settle(napi_env rawEnv, napi_value, void*, void* data) {
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  if (!rawEnv) return;
  Napi::Env env(rawEnv);
  Napi::HandleScope scope(env);
  Bridge& b = *job->bridge;
  if (--b.pending == 0) napi_unref_threadsafe_function(rawEnv, b.tsfn);
  if (!job->ok) {
    Napi::Error e = Napi::Error::New(env, job->message);
    e.Set("code", job->code);
    e.Set("log", job->log);
    napi_reject_deferred(rawEnv, job->deferred, e.Value());
    return;
  }
  if (job->isProbe) {
    napi_resolve_deferred(rawEnv, job->deferred, factsObject(env, job->facts));
    return;
  }
  // The frames' own memory becomes the Buffer: no copy.
  auto* rgb = new std::vector<uint8_t>(std::move(job->frames.rgb));
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, rgb->data(), rgb->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, rgb);
  Napi::Object o = Napi::Object::New(env);
  o.Set("data", buf);
  o.Set("filled", job->frames.filled);
  o.Set("width", job->frames.width);
  o.Set("height", job->frames.height);
  napi_resolve_deferred(rawEnv, job->deferred, o);
}

std::shared_ptr<Bridge>* bridgeOf(Napi::Env env) { return env.GetInstanceData<std::shared_ptr<Bridge>>(); }

/** Queues a job and returns its promise. */
Napi::Value start(Napi::Env env, Job* job) {
  Bridge& b = **bridgeOf(env);
  job->bridge = *bridgeOf(env);
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (b.pending++ == 0) napi_ref_threadsafe_function(env, b.tsfn);
  submit([job] { run(job); });
  return Napi::Value(env, promise);
}

std::string pathArg(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": the first argument is the file's path (a string)");
  std::string p = info[0].As<Napi::String>().Utf8Value();
  if (p.empty() || p.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": the path is empty or holds a NUL");
  return p;
}

int intField(const Napi::CallbackInfo& info, Napi::Object o, const char* name, int lo, int hi, int fallback, const char* fn) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= hi) || d != std::trunc(d)) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<int>(d);
}

Device deviceField(const Napi::CallbackInfo& info, Napi::Object o, const char* fn) {
  Napi::Value v = o.Get("device");
  if (v.IsUndefined()) return Device::kCpu;
  std::string d = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (d == "cpu") return Device::kCpu;
  if (d == "cuda") return Device::kCuda;
  throw Napi::RangeError::New(info.Env(), std::string(fn) + ": device must be 'cpu' or 'cuda'");
}

/** probe(path, {device?, codecThreads?}) -> Promise<Facts> */
Napi::Value Probe(const Napi::CallbackInfo& info) {
  auto job = std::make_unique<Job>();
  job->isProbe = true;
  job->path = pathArg(info, "probe");
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    job->device = deviceField(info, o, "probe");
    job->codecThreads = intField(info, o, "codecThreads", 1, 64, 1, "probe");
  }
  return start(info.Env(), job.release());
}

/** decode(path, {times, width, height, device?, codecThreads?}) -> Promise<{data, filled, width, height}> */
Napi::Value Decode(const Napi::CallbackInfo& info) {
  auto job = std::make_unique<Job>();
  job->path = pathArg(info, "decode");
  if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(info.Env(), "decode: the second argument is {times, width, height}");
  Napi::Object o = info[1].As<Napi::Object>();
  job->width = intField(info, o, "width", 1, 16384, 0, "decode");
  job->height = intField(info, o, "height", 1, 16384, 0, "decode");
  if (job->width == 0 || job->height == 0) throw Napi::TypeError::New(info.Env(), "decode: width and height are required");
  job->device = deviceField(info, o, "decode");
  job->codecThreads = intField(info, o, "codecThreads", 1, 64, 1, "decode");
  Napi::Value t = o.Get("times");
  if (!t.IsArray()) throw Napi::TypeError::New(info.Env(), "decode: times must be an array of seconds");
  Napi::Array arr = t.As<Napi::Array>();
  const uint32_t n = arr.Length();
  if (n == 0 || n > 100000) throw Napi::RangeError::New(info.Env(), "decode: times must hold 1 to 100000 entries");
  const double frameBytes = static_cast<double>(job->width) * job->height * 3;
  if (frameBytes * n > 4.0 * (1ull << 30)) throw Napi::RangeError::New(info.Env(), "decode: the clip would take more than 4 GiB");
  job->times.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = arr.Get(i);
    double s = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(s) || s < 0 || (i > 0 && s <= job->times.back())) {
      throw Napi::RangeError::New(info.Env(), "decode: times must be finite seconds >= 0, strictly ascending");
    }
    job->times.push_back(s);
  }
  return start(info.Env(), job.release());
}

/** scale(data, {frames, width, height, toWidth, toHeight}) -> Promise<{data, filled, width, height}> */
Napi::Value Scale(const Napi::CallbackInfo& info) {
  auto job = std::make_unique<Job>();
  job->isScale = true;
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "scale: the arguments are a Uint8Array of RGB frames and {frames, width, height, toWidth, toHeight}");
  }
  Napi::Uint8Array data = info[0].As<Napi::Uint8Array>();
  Napi::Object o = info[1].As<Napi::Object>();
  job->count = intField(info, o, "frames", 1, 100000, 0, "scale");
  job->srcWidth = intField(info, o, "width", 1, 16384, 0, "scale");
  job->srcHeight = intField(info, o, "height", 1, 16384, 0, "scale");
  job->width = intField(info, o, "toWidth", 1, 16384, 0, "scale");
  job->height = intField(info, o, "toHeight", 1, 16384, 0, "scale");
  if (!job->count || !job->srcWidth || !job->srcHeight || !job->width || !job->height) {
    throw Napi::TypeError::New(info.Env(), "scale: frames, width, height, toWidth and toHeight are required");
  }
  const double in = static_cast<double>(job->count) * job->srcWidth * job->srcHeight * 3;
  if (in != static_cast<double>(data.ByteLength())) throw Napi::RangeError::New(info.Env(), "scale: the data does not hold frames x height x width x 3 bytes");
  if (static_cast<double>(job->count) * job->width * job->height * 3 > 4.0 * (1ull << 30)) throw Napi::RangeError::New(info.Env(), "scale: the clip would take more than 4 GiB");
  job->src.assign(data.Data(), data.Data() + data.ByteLength());  // the caller may reuse its buffer at once
  return start(info.Env(), job.release());
}

Napi::Value SetWorkers(const Napi::CallbackInfo& info) {
  double n = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : NAN;
  if (!(n >= 1 && n <= 256) || n != std::trunc(n)) throw Napi::RangeError::New(info.Env(), "setWorkers: a whole number from 1 to 256");
  return Napi::Number::New(info.Env(), setWorkers(static_cast<int>(n)));
}

/** cudaProblem() -> '' when NVDEC decoding can run here, else why not (opens the CUDA device once). */
Napi::Value CudaProblem(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cudaProblem()); }

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", COVER_AV_VERSION);
  o.Set("ffmpeg", av_version_info());
  auto v = [](unsigned x) { return std::to_string(x >> 16) + "." + std::to_string((x >> 8) & 0xff) + "." + std::to_string(x & 0xff); };
  o.Set("libavformat", v(avformat_version()));
  o.Set("libavcodec", v(avcodec_version()));
  o.Set("libswscale", v(swscale_version()));
  Napi::Array hw = Napi::Array::New(env);
  uint32_t i = 0;
  for (const std::string& d : hardwareDevices()) hw.Set(i++, d);
  o.Set("hardware", hw);
  o.Set("workers", workers());
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  installLogCapture();
  if (workers() == 0) setWorkers(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  auto* bridge = new std::shared_ptr<Bridge>(std::make_shared<Bridge>());
  napi_value name;
  napi_create_string_utf8(env, "cover-av", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, settle, &(*bridge)->tsfn);
  napi_unref_threadsafe_function(env, (*bridge)->tsfn);
  // When the environment goes (process exit, a worker thread ending): no more settling, and the bridge is freed once
  // the last job holding it is done.
  napi_set_instance_data(env, bridge, [](napi_env, void* data, void*) {
    auto* b = static_cast<std::shared_ptr<Bridge>*>(data);
    {
      std::lock_guard<std::mutex> lock((*b)->mu);
      (*b)->closed = true;
    }
    delete b;
  }, nullptr);
  napi_add_env_cleanup_hook(env, [](void* arg) {
    auto* b = static_cast<Bridge*>(arg);
    std::lock_guard<std::mutex> lock(b->mu);
    if (!b->closed) napi_release_threadsafe_function(b->tsfn, napi_tsfn_abort);
    b->closed = true;
  }, bridge->get());
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setWorkers", Napi::Function::New(env, SetWorkers));
  exports.Set("cudaProblem", Napi::Function::New(env, CudaProblem));
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("decode", Napi::Function::New(env, Decode));
  exports.Set("scale", Napi::Function::New(env, Scale));
  return exports;
}

}  // namespace
}  // namespace coverav

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return coverav::Init(env, exports); }
NODE_API_MODULE(cover_av, InitAddon)
