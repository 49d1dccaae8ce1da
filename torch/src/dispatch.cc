// run(op, ids, attrs): looks the op up in the registry the ops_*.cc files fill, checks the input count, runs it with
// ATen and stores the outputs. Returns the outputs flat, [id, dtype, rank, ...shape] per output (dtype 0 float32,
// 1 int32, 2 bool), so one call allocates one small array. ops() lists the registered names.
#include "common.h"

#include <cmath>
#include <map>

namespace cover_torch {

namespace {
std::map<std::string, OpDef>& registry() {
  static std::map<std::string, OpDef> r;
  return r;
}

int dtypeCode(at::ScalarType t) { return t == at::kFloat ? 0 : t == at::kInt ? 1 : 2; }

std::string firstLine(const char* s) {
  std::string m(s);
  size_t nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = stringArg(info, 0, "run", "op");
  auto it = registry().find(name);
  if (it == registry().end()) throwType(env, "run", "unknown op '" + name + "'");
  const OpDef& def = it->second;
  std::string where = "run(" + name + ")";
  const std::vector<int64_t> ids = idsArg(info, 1, where, "ids");
  int n = static_cast<int>(ids.size());
  if (n < def.minInputs || (def.maxInputs >= 0 && n > def.maxInputs)) {
    throw Napi::RangeError::New(env, where + ": got " + std::to_string(n) + " inputs, expected " + std::to_string(def.minInputs) +
                                         (def.maxInputs == def.minInputs ? "" : def.maxInputs < 0 ? " or more" : " to " + std::to_string(def.maxInputs)));
  }
  Tensors inputs;
  inputs.reserve(n);
  for (int64_t id : ids) inputs.push_back(fetch(env, id, where.c_str()));
  Napi::Object attrObj = optionsArg(info, 2, where, "attrs");
  Attrs attrs(env, attrObj, where);
  Tensors outs;
  try {
    ensureBlasThreads();
    outs = def.fn(inputs, attrs);
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, where + ": " + firstLine(e.what_without_backtrace()));
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, where + ": " + firstLine(e.what()));
  }
  size_t len = 0;
  for (const auto& t : outs) len += 3 + t.dim();
  Napi::Array res = Napi::Array::New(env, len);
  uint32_t k = 0;
  for (auto& t : outs) {
    at::Tensor o = normalize(t);
    int64_t id = store(o);
    res.Set(k++, Napi::Number::New(env, static_cast<double>(id)));
    res.Set(k++, Napi::Number::New(env, dtypeCode(o.scalar_type())));
    res.Set(k++, Napi::Number::New(env, static_cast<double>(o.dim())));
    for (int64_t d = 0; d < o.dim(); d++) res.Set(k++, Napi::Number::New(env, static_cast<double>(o.size(d))));
  }
  return res;
}

Napi::Value Ops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env, registry().size());
  uint32_t i = 0;
  for (const auto& kv : registry()) a.Set(i++, kv.first);
  return a;
}
}  // namespace

bool registerOp(const char* name, OpDef def) {
  registry()[name] = std::move(def);
  return true;
}

void registerDispatch(Napi::Env env, Napi::Object exports) {
  exports.Set("run", Napi::Function::New(env, Run, "run"));
  exports.Set("ops", Napi::Function::New(env, Ops, "ops"));
}

// ---- Attrs ----

Napi::Value Attrs::get(const char* name) const {
  Napi::Value v = obj_.Get(name);
  if (v.IsUndefined() || v.IsNull()) fail(std::string("attribute '") + name + "' is missing");
  return v;
}

bool Attrs::has(const char* name) const {
  Napi::Value v = obj_.Get(name);
  return !v.IsUndefined() && !v.IsNull();
}

void Attrs::fail(const std::string& msg) const { throw Napi::TypeError::New(env_, op_ + ": " + msg); }

int64_t Attrs::i(const char* name) const {
  Napi::Value v = get(name);
  double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(x) || x != std::floor(x)) fail(std::string("attribute '") + name + "' must be an integer");
  return static_cast<int64_t>(x);
}

double Attrs::f(const char* name) const {
  Napi::Value v = get(name);
  if (!v.IsNumber()) fail(std::string("attribute '") + name + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool Attrs::b(const char* name) const {
  Napi::Value v = obj_.Get(name);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsBoolean()) fail(std::string("attribute '") + name + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string Attrs::s(const char* name) const {
  Napi::Value v = get(name);
  if (!v.IsString()) fail(std::string("attribute '") + name + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Attrs::ints(const char* name) const {
  Napi::Value v = get(name);
  if (!v.IsArray()) fail(std::string("attribute '") + name + "' must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value e = a.Get(k);
    double x = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(x) || x != std::floor(x)) fail(std::string("attribute '") + name + "' must be an array of integers");
    out.push_back(static_cast<int64_t>(x));
  }
  return out;
}

}  // namespace cover_torch
