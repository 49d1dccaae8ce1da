// The tensor table: every tensor the JavaScript side holds is an at::Tensor here, named by an integer id. JavaScript
// creates tensors from typed arrays (create), reads them back (read) and disposes them (dispose); run() adds outputs.
#include "common.h"

#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace cover_torch {

namespace {
std::unordered_map<int64_t, at::Tensor> table;
int64_t nextId = 1;

int64_t numElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// create(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: 'float32' | 'int32' | 'bool') -> id
Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "create";
  Napi::TypedArray arr = typedArrayArg(info, 0, where, "values");
  std::vector<int64_t> shape = shapeArg(info, 1, where, "shape");
  at::ScalarType dtype = parseDtype(env, stringArg(info, 2, where, "dtype"), where);
  napi_typedarray_type want = dtype == at::kFloat ? napi_float32_array : dtype == at::kInt ? napi_int32_array : napi_uint8_array;
  if (arr.TypedArrayType() != want) {
    throw Napi::TypeError::New(env, std::string("create: ") + dtypeName(dtype) + " values must be a " +
                                        (dtype == at::kFloat ? "Float32Array" : dtype == at::kInt ? "Int32Array" : "Uint8Array"));
  }
  int64_t n = numElements(shape);
  if (static_cast<int64_t>(arr.ElementLength()) != n) {
    throw Napi::RangeError::New(env, "create: " + std::to_string(arr.ElementLength()) + " values for a shape of " +
                                         std::to_string(n) + " elements");
  }
  uint8_t* data = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (n > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(n) * t.element_size());
  return Napi::Number::New(env, static_cast<double>(store(t)));
}

// read(id) -> Float32Array | Int32Array | Uint8Array (a copy, row-major)
Napi::Value Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t0 = fetch(env, idArg(info, 0, "read", "id"), "read");
  at::Tensor t;
  try {
    t = t0.to(at::kCPU).contiguous();
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string("read: ") + e.what_without_backtrace());
  }
  size_t n = static_cast<size_t>(t.numel());
  size_t bytes = n * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buf.Data(), t.data_ptr(), bytes);
  switch (t.scalar_type()) {
    case at::kFloat: return Napi::Float32Array::New(env, n, buf, 0);
    case at::kInt: return Napi::Int32Array::New(env, n, buf, 0);
    default: return Napi::Uint8Array::New(env, n, buf, 0);
  }
}

// dispose(id) -> whether it existed
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Napi::Boolean::New(env, table.erase(idArg(info, 0, "dispose", "id")) > 0);
}

// shapeOf(id) -> [dtype, ...shape] (for checks)
Napi::Value Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = fetch(env, idArg(info, 0, "describe", "id"), "describe");
  Napi::Object o = Napi::Object::New(env);
  Napi::Array shape = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); i++) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(t.size(i))));
  o.Set("shape", shape);
  o.Set("dtype", dtypeName(t.scalar_type()));
  o.Set("device", t.device().str());
  return o;
}

// memory() -> { tensors, bytes }: live table entries and the bytes of their distinct storages (views count once).
Napi::Value Memory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unordered_set<const void*> seen;
  double bytes = 0;
  for (const auto& kv : table) {
    const auto& st = kv.second.storage();
    if (!st) continue;
    if (seen.insert(st.unsafeGetStorageImpl()).second) bytes += static_cast<double>(st.nbytes());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensors", Napi::Number::New(env, static_cast<double>(table.size())));
  o.Set("bytes", Napi::Number::New(env, bytes));
  return o;
}

}  // namespace

int64_t store(at::Tensor t) {
  at::Device dev = currentDevice();
  if (t.device() != dev) t = t.to(dev);
  int64_t id = nextId++;
  table.emplace(id, std::move(t));
  return id;
}

at::Tensor& fetchEntry(Napi::Env env, int64_t id, const char* where) {
  auto it = table.find(id);
  if (it == table.end()) throw Napi::RangeError::New(env, std::string(where) + ": no tensor with id " + std::to_string(id));
  return it->second;
}

const at::Tensor& fetch(Napi::Env env, int64_t id, const char* where) { return fetchEntry(env, id, where); }

void moveTableTo(at::Device dev) {
  for (auto& kv : table) {
    if (kv.second.device() != dev) kv.second = kv.second.to(dev);
  }
}

void registerTable(Napi::Env env, Napi::Object exports) {
  exports.Set("create", Napi::Function::New(env, Create, "create"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("dispose", Napi::Function::New(env, Dispose, "dispose"));
  exports.Set("describe", Napi::Function::New(env, Describe, "describe"));
  exports.Set("memory", Napi::Function::New(env, Memory, "memory"));
}

}  // namespace cover_torch
