// Argument helpers shared by every exported function: a Float32Array (or a Float32Array view of the wasm heap) as a
// float pointer with its length checked, and integers/floats read with a clear TypeError when the caller passes junk.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cover {

/** info[i] as a Float32Array of at least `need` elements; throws a TypeError naming the function and argument. */
inline float* f32Arg(const Napi::CallbackInfo& info, size_t i, size_t need, const char* fn) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be a Float32Array");
  }
  auto a = info[i].As<Napi::Float32Array>();
  if (a.ElementLength() < need) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " has " +
                                                std::to_string(a.ElementLength()) + " elements, needs " + std::to_string(need));
  }
  return a.Data();
}

inline int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be a number");
  }
  return info[i].As<Napi::Number>().Int64Value();
}

inline double numArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be a number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

/** info[i] as an array of integers (shapes, strides, permutations). */
inline std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (i >= info.Length() || !info[i].IsArray()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be an array of numbers");
  }
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value e = arr.Get(k);
    if (!e.IsNumber()) {
      throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + std::to_string(i) + " must be an array of numbers");
    }
    out[k] = e.As<Napi::Number>().Int64Value();
  }
  return out;
}

}  // namespace cover
