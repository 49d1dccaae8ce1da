// The one header that reads the torch addon's arguments, in the style of native/src/napi_args.h: every exported function
// (table.cc, state.cc, dispatch.cc, dist.cc, ops_optimizer.cc) takes its tensor ids, numbers, strings, lists and option
// objects through these helpers. An argument of the wrong type is a TypeError, a value out of range a RangeError, each
// one line "<function>: <argument> must be ...", the argument named as torch/index.d.ts names it. (run()'s attributes
// are read by Attrs in dispatch.cc, with the same kind of messages.)
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace cover_torch {

[[noreturn]] inline void throwType(Napi::Env env, const std::string& fn, const std::string& what) {
  throw Napi::TypeError::New(env, fn + ": " + what);
}

[[noreturn]] inline void throwRange(Napi::Env env, const std::string& fn, const std::string& what) {
  throw Napi::RangeError::New(env, fn + ": " + what);
}

/** info[i], or undefined past the last argument. */
inline Napi::Value argAt(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() ? info[i] : info.Env().Undefined(); }

// ---- tensor ids ----

/** The largest id a double holds exactly (ids count up from 1 and never reach it). */
constexpr double kMaxId = 9007199254740991.0;

/** v as a tensor id, an integer >= 1; `what` names it in the TypeError ("ids[3]"). */
inline int64_t idValue(Napi::Env env, Napi::Value v, const std::string& fn, const std::string& what) {
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(x >= 1 && x <= kMaxId) || x != std::trunc(x)) throwType(env, fn, what + " must be a tensor id (an integer >= 1)");
  return static_cast<int64_t>(x);
}

inline int64_t idArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  return idValue(info.Env(), argAt(info, i), fn, name);
}

/** info[i] as an array of tensor ids. */
inline std::vector<int64_t> idsArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  Napi::Env env = info.Env();
  if (!argAt(info, i).IsArray()) throwType(env, fn, std::string(name) + " must be an array of tensor ids");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> ids(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) ids[k] = idValue(env, a.Get(k), fn, std::string(name) + "[" + std::to_string(k) + "]");
  return ids;
}

// ---- scalars ----

inline double numArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsNumber()) throwType(info.Env(), fn, std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

/** A count, rank, port or time in ms: a number, truncated toward zero (its caller checks the range). */
inline int64_t intArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsNumber()) throwType(info.Env(), fn, std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

inline bool boolArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsBoolean()) throwType(info.Env(), fn, std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

inline std::string stringArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsString()) throwType(info.Env(), fn, std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

/** A string that must be one of `choices`: TypeError "<fn>: <name> must be 'a', 'b' or 'c'" otherwise. */
inline std::string choiceArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name,
                             std::initializer_list<const char*> choices) {
  const Napi::Value v = argAt(info, i);
  if (v.IsString()) {
    const std::string s = v.As<Napi::String>().Utf8Value();
    for (const char* c : choices) {
      if (s == c) return s;
    }
  }
  std::string list;
  size_t k = 0;
  for (const char* c : choices) {
    list += (k == 0 ? "" : k + 1 == choices.size() ? " or " : ", ") + std::string("'") + c + "'";
    k++;
  }
  throwType(info.Env(), fn, std::string(name) + " must be " + list);
}

// ---- arrays and objects ----

/** info[i] as an array of numbers. */
inline std::vector<double> numsArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsArray()) throwType(info.Env(), fn, std::string(name) + " must be an array of numbers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<double> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    if (!v.IsNumber()) throwType(info.Env(), fn, std::string(name) + "[" + std::to_string(k) + "] must be a number");
    out[k] = v.As<Napi::Number>().DoubleValue();
  }
  return out;
}

/** info[i] as a shape: an array of integers >= 0 (each below 2^53). */
inline std::vector<int64_t> shapeArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsArray()) throwType(info.Env(), fn, std::string(name) + " must be an array of integers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> shape(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value d = a.Get(k);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(x >= 0 && x < 9.007199254740992e15) || x != std::trunc(x)) {
      throwRange(info.Env(), fn, std::string(name) + "[" + std::to_string(k) + "] must be an integer >= 0");
    }
    shape[k] = static_cast<int64_t>(x);
  }
  return shape;
}

inline Napi::TypedArray typedArrayArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  if (!argAt(info, i).IsTypedArray()) throwType(info.Env(), fn, std::string(name) + " must be a typed array");
  return info[i].As<Napi::TypedArray>();
}

/** An optional options object: an empty one when info[i] is absent, undefined or null. */
inline Napi::Object optionsArg(const Napi::CallbackInfo& info, size_t i, const std::string& fn, const char* name) {
  const Napi::Value v = argAt(info, i);
  if (v.IsUndefined() || v.IsNull()) return Napi::Object::New(info.Env());
  if (!v.IsObject()) throwType(info.Env(), fn, std::string(name) + " must be an object");
  return v.As<Napi::Object>();
}

/** opts[key] as a number, or `fallback` when it is absent or undefined. */
inline double numberOption(Napi::Env env, Napi::Object opts, const char* key, const std::string& fn, double fallback) {
  const Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throwType(env, fn, std::string("opts.") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace cover_torch
