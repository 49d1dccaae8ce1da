// The one header that reads the addon's arguments: every exported function (core_*.cc, fused_*.cc, addon.cc) takes its
// arrays, numbers, dimensions and op codes through these helpers, and computes every size it compares with an array's
// length through mulSize/addSize. Junk of the wrong type is a TypeError, a value out of range (a negative, fractional
// or huge dimension, a size product past kMaxElements, an array too short) a RangeError naming the function and the
// argument; nothing here can wrap around, so a check can never pass on an overflowed size.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cover {

/** Dimensions, counts, strides and op codes are integers in [0, kMaxDim). */
constexpr int64_t kMaxDim = int64_t{1} << 31;
/** Any size product (elements an array must hold) is at most this: 2^46 floats, 256 TiB, far beyond any heap. */
constexpr int64_t kMaxElements = int64_t{1} << 46;

[[noreturn]] inline void throwRange(const Napi::CallbackInfo& info, const char* fn, const std::string& what) {
  throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + what);
}

[[noreturn]] inline void throwType(const Napi::CallbackInfo& info, const char* fn, const std::string& what) {
  throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + what);
}

inline std::string argName(size_t i) { return "argument " + std::to_string(i); }

/** A number as a user wrote it: 4294967296, not 4294967296.000000; 1.5; nan. */
inline std::string showNumber(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.0e18) {
    return std::to_string(static_cast<int64_t>(v));
  }
  return std::to_string(v);
}

// ---- size arithmetic ----

/** a * b for element counts (a, b >= 0): a RangeError when the product overflows or passes kMaxElements. */
inline int64_t mulSize(const Napi::CallbackInfo& info, int64_t a, int64_t b, const char* fn) {
  int64_t p = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &p) || p > kMaxElements) {
    throwRange(info, fn, "sizes overflow: " + std::to_string(a) + " * " + std::to_string(b) + " is past 2^46 elements");
  }
  return p;
}

/** a + b for element counts (a, b >= 0), checked like mulSize. */
inline int64_t addSize(const Napi::CallbackInfo& info, int64_t a, int64_t b, const char* fn) {
  int64_t s = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &s) || s > kMaxElements) {
    throwRange(info, fn, "sizes overflow: " + std::to_string(a) + " + " + std::to_string(b) + " is past 2^46 elements");
  }
  return s;
}

/** The product of dims (1 for none), each step checked by mulSize. */
inline int64_t productSize(const Napi::CallbackInfo& info, const std::vector<int64_t>& dims, const char* fn) {
  int64_t p = 1;
  for (int64_t d : dims) p = mulSize(info, p, d, fn);
  return p;
}

/** Elements a strided view needs: 1 + sum of (shape[k] - 1) * strides[k], or 0 when a dim is 0; checked. */
inline int64_t extentSize(const Napi::CallbackInfo& info, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                          const char* fn) {
  int64_t last = 0;
  for (size_t k = 0; k < shape.size(); k++) {
    if (shape[k] == 0) return 0;
    last = addSize(info, last, mulSize(info, shape[k] - 1, strides[k], fn), fn);
  }
  return addSize(info, last, 1, fn);
}

// ---- arrays ----

/** info[i] as a Float32Array of at least `need` elements (need from the checked size arithmetic above). */
inline float* f32Arg(const Napi::CallbackInfo& info, size_t i, int64_t need, const char* fn) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throwType(info, fn, argName(i) + " must be a Float32Array");
  }
  if (need < 0 || need > kMaxElements) throwRange(info, fn, argName(i) + ": size " + std::to_string(need) + " is out of range");
  auto a = info[i].As<Napi::Float32Array>();
  if (a.ElementLength() < static_cast<size_t>(need)) {
    throwRange(info, fn, argName(i) + " has " + std::to_string(a.ElementLength()) + " elements, needs " + std::to_string(need));
  }
  return a.Data();
}

/** info[i] as an array of Float32Arrays; lengths (in elements) go to `lengths`. */
inline std::vector<float*> f32ListArg(const Napi::CallbackInfo& info, size_t i, const char* fn, std::vector<size_t>& lengths) {
  if (i >= info.Length() || !info[i].IsArray()) throwType(info, fn, argName(i) + " must be an array of Float32Arrays");
  auto arr = info[i].As<Napi::Array>();
  std::vector<float*> out(arr.Length());
  lengths.assign(arr.Length(), 0);
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throwType(info, fn, argName(i) + "[" + std::to_string(k) + "] must be a Float32Array");
    }
    auto a = v.As<Napi::Float32Array>();
    out[k] = a.Data();
    lengths[k] = a.ElementLength();
  }
  return out;
}

// ---- scalars ----

inline double numArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsNumber()) throwType(info, fn, argName(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

/** A plain integer (setThreads' count, clamped by its caller): a number, truncated toward zero. */
inline int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsNumber()) throwType(info, fn, argName(i) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

inline bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsBoolean()) throwType(info, fn, argName(i) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

/** `v` (argument i, or its entry k when k >= 0) as a dimension: an integer in [0, 2^31); RangeError otherwise. */
inline int64_t checkDim(const Napi::CallbackInfo& info, double v, size_t i, int64_t k, const char* fn) {
  if (!(v >= 0 && v < static_cast<double>(kMaxDim)) || v != std::trunc(v)) {
    const std::string where = k < 0 ? argName(i) : argName(i) + "[" + std::to_string(k) + "]";
    throwRange(info, fn, where + " must be an integer in [0, 2^31), got " + showNumber(v));
  }
  return static_cast<int64_t>(v);
}

/** A dimension, count or stride: an integer in [0, 2^31). */
inline int64_t dimArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return checkDim(info, numArg(info, i, fn), i, -1, fn);
}

/** An op code in [0, count). */
inline int opArg(const Napi::CallbackInfo& info, size_t i, size_t count, const char* fn) {
  const int64_t op = dimArg(info, i, fn);
  if (op >= static_cast<int64_t>(count)) {
    throwRange(info, fn, "unknown op " + std::to_string(op) + " (there are " + std::to_string(count) + ")");
  }
  return static_cast<int>(op);
}

/** info[i] as an array of numbers. */
inline std::vector<double> numsArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsArray()) throwType(info, fn, argName(i) + " must be an array of numbers");
  auto arr = info[i].As<Napi::Array>();
  std::vector<double> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) throwType(info, fn, argName(i) + "[" + std::to_string(k) + "] must be a number");
    out[k] = v.As<Napi::Number>().DoubleValue();
  }
  return out;
}

/** A shape / strides / perm array: `len` entries (any length when len < 0), each a dimension (see dimArg). */
inline std::vector<int64_t> dimsArg(const Napi::CallbackInfo& info, size_t i, int64_t len, const char* fn) {
  const std::vector<double> raw = numsArg(info, i, fn);
  if (len >= 0 && static_cast<int64_t>(raw.size()) != len) {
    throwRange(info, fn, argName(i) + " must have " + std::to_string(len) + " entries, has " + std::to_string(raw.size()));
  }
  std::vector<int64_t> v(raw.size());
  for (size_t k = 0; k < raw.size(); k++) v[k] = checkDim(info, raw[k], i, static_cast<int64_t>(k), fn);
  return v;
}

}  // namespace cover
