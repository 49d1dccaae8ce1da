// Data-parallel collectives on torch.distributed's c10d, the engine under PyTorch's DistributedDataParallel: one process
// group per process, joined through a TCPStore rendezvous exactly as init_process_group("env://") does (rank 0 serves
// the store on MASTER_PORT, the others connect to it; a PrefixStore keeps cover's keys apart). Gloo on the cpu; NCCL
// when this libtorch has CUDA, the build found NCCL's headers and the device is cuda.
//
// Exported as `dist` on the addon: init, allreduce (a list of tensor ids flattened into buckets, summed over ranks,
// returned as new ids), allgather, broadcast, barrier, the store's set/get/add (failure reports), leave, destroy. Every call
// blocks until the collective is done; a peer that died or a timeout throws an Error "dist.<fn>: <c10d's first line>".
#include "common.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(COVER_TORCH_CUDA) && defined(COVER_TORCH_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace cover_torch {

namespace {

// The collectives cover uses, over whichever c10d class runs them (ProcessGroupGloo derives from ProcessGroup in 1.x
// and from Backend in 2.x; the method names are the same, so a template covers both).
struct Group {
  virtual ~Group() = default;
  virtual void allreduce(std::vector<at::Tensor>& ts) = 0;
  virtual void allgather(std::vector<at::Tensor>& out, at::Tensor& in) = 0;
  virtual void broadcast(at::Tensor& t, int root) = 0;
  virtual void barrier() = 0;
};

template <class PG>
struct GroupOf : Group {
  explicit GroupOf(c10::intrusive_ptr<PG> p) : pg(std::move(p)) {}
  void allreduce(std::vector<at::Tensor>& ts) override {
    // One collective per bucket, all in flight at once, then wait for every one.
    std::vector<decltype(pg->allreduce(ts))> works;
    for (auto& t : ts) {
      std::vector<at::Tensor> one{t};
      works.push_back(pg->allreduce(one));
    }
    for (auto& w : works) w->wait();
  }
  void allgather(std::vector<at::Tensor>& out, at::Tensor& in) override {
    std::vector<std::vector<at::Tensor>> outs{out};
    std::vector<at::Tensor> ins{in};
    pg->allgather(outs, ins)->wait();
    out = outs[0];
  }
  void broadcast(at::Tensor& t, int root) override {
    std::vector<at::Tensor> ts{t};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    pg->broadcast(ts, o)->wait();
  }
  void barrier() override { pg->barrier()->wait(); }
  c10::intrusive_ptr<PG> pg;
};

struct State {
  c10::intrusive_ptr<c10d::Store> store;
  std::unique_ptr<Group> group;
  int rank = 0;
  int world = 1;
  std::string backend;
  std::chrono::milliseconds timeout{0};
};
std::unique_ptr<State> state;

std::string firstLine(const std::exception& e) {
  std::string m = e.what();
  auto nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

/** Runs fn, turning a c10d/Gloo failure into a JavaScript Error "dist.<where>: <first line>". */
template <class F>
auto guarded(Napi::Env env, const char* where, F fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("dist.") + where + ": " + firstLine(e));
  }
}

State& joined(Napi::Env env, const char* where, bool needGroup = true) {
  if (!state || (needGroup && !state->group)) throw Napi::Error::New(env, std::string("dist.") + where + ": not initialised (call dist.init first)");
  return *state;
}

Napi::Object describeState(Napi::Env env, const State& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", s.rank);
  o.Set("world", s.world);
  o.Set("backend", s.backend);
  return o;
}

// init(rank, world, addr, port, timeoutMs) -> {rank, world, backend}
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t rank64 = intArg(info, 0, "dist.init", "rank"), world64 = intArg(info, 1, "dist.init", "world");
  std::string addr = stringArg(info, 2, "dist.init", "addr");
  int64_t port = intArg(info, 3, "dist.init", "port");
  int64_t timeoutMs = intArg(info, 4, "dist.init", "timeoutMs");
  if (state) throw Napi::Error::New(env, "dist.init: already initialised (call dist.destroy first)");
  if (world64 < 1 || world64 > 1 << 20) throw Napi::RangeError::New(env, "dist.init: world must be in [1, 2^20]");
  if (rank64 < 0 || rank64 >= world64) throw Napi::RangeError::New(env, "dist.init: rank must be in [0, world)");
  const int rank = static_cast<int>(rank64), world = static_cast<int>(world64);
  if (port < 1 || port > 65535) throw Napi::RangeError::New(env, "dist.init: port must be in [1, 65535]");
  if (timeoutMs < 1) throw Napi::RangeError::New(env, "dist.init: timeoutMs must be at least 1");
  return guarded(env, "init", [&]() -> Napi::Value {
    auto s = std::make_unique<State>();
    s->rank = rank;
    s->world = world;
    s->timeout = std::chrono::milliseconds(timeoutMs);
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<std::size_t>(world);
    so.timeout = s->timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(addr, so);
    s->store = c10::make_intrusive<c10d::PrefixStore>("cover", tcp);
    bool cuda = currentDevice().is_cuda();
#if defined(COVER_TORCH_CUDA) && defined(COVER_TORCH_NCCL)
    if (cuda) {
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = s->timeout;
      s->group = std::make_unique<GroupOf<c10d::ProcessGroupNCCL>>(
          c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", s->store), rank, world, o));
      s->backend = "nccl";
    }
#else
    if (cuda) throw std::runtime_error("the device is cuda, but this cover-torch was built without NCCL (rebuild it against a libtorch with NCCL)");
#endif
#ifdef USE_C10D_GLOO
    if (!s->group) {
      auto o = c10d::ProcessGroupGloo::Options::create(s->timeout);
      // GLOO_SOCKET_IFNAME picks the network interface, as in PyTorch; else the address that reaches MASTER_ADDR's side.
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname && *ifname) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (addr == "127.0.0.1" || addr == "localhost") o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      o->threads = 2;
      s->group = std::make_unique<GroupOf<c10d::ProcessGroupGloo>>(
          c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", s->store), rank, world, o));
      s->backend = "gloo";
    }
#else
    if (!s->group) throw std::runtime_error("this cover-torch was built without Gloo (install libgloo-dev, then npm ci)");
#endif
    state = std::move(s);
    return describeState(env, *state);
  });
}

// allreduce(ids, {scale = 1, bucketBytes = 25 MiB}) -> ids: sum over ranks of scale * t for each float32 tensor, as
// new tensors (views into the reduced buckets). Consecutive tensors share a bucket up to bucketBytes, as in DDP.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "allreduce");
  auto ids = idsArg(info, 0, "dist.allreduce", "ids");
  Napi::Object opts = optionsArg(info, 1, "dist.allreduce", "opts");
  const double scale = numberOption(env, opts, "scale", "dist.allreduce", 1);
  const double bucket = numberOption(env, opts, "bucketBytes", "dist.allreduce", 25 << 20);
  // At least 1 byte (one tensor a bucket); NaN is 1 too, and a huge value one bucket for all.
  const int64_t bucketBytes = bucket >= 1 ? static_cast<int64_t>(std::min(bucket, 9.0e18)) : 1;
  std::vector<at::Tensor> ins;
  for (auto id : ids) {
    const at::Tensor& t = fetch(env, id, "dist.allreduce");
    if (t.scalar_type() != at::kFloat) throw Napi::TypeError::New(env, "dist.allreduce: tensors must be float32");
    ins.push_back(t);
  }
  return guarded(env, "allreduce", [&]() -> Napi::Value {
    // Buckets: [first, last) ranges of ins, each flattened into one contiguous tensor.
    std::vector<std::pair<size_t, size_t>> ranges;
    std::vector<at::Tensor> buckets;
    for (size_t i = 0; i < ins.size();) {
      size_t j = i;
      int64_t bytes = 0;
      std::vector<at::Tensor> flat;
      while (j < ins.size() && (j == i || bytes + ins[j].numel() * 4 <= bucketBytes)) {
        bytes += ins[j].numel() * 4;
        flat.push_back(ins[j].reshape({-1}));
        j++;
      }
      at::Tensor b = at::cat(flat);  // a copy: the inputs stay as they were
      if (scale != 1) b.mul_(scale);
      buckets.push_back(b);
      ranges.emplace_back(i, j);
      i = j;
    }
    s.group->allreduce(buckets);
    Napi::Array out = Napi::Array::New(env, ins.size());
    for (size_t b = 0; b < buckets.size(); b++) {
      int64_t off = 0;
      for (size_t k = ranges[b].first; k < ranges[b].second; k++) {
        int64_t n = ins[k].numel();
        out.Set(static_cast<uint32_t>(k), Napi::Number::New(env, static_cast<double>(store(buckets[b].narrow(0, off, n).view(ins[k].sizes())))));
        off += n;
      }
    }
    return out;
  });
}

// allgather(id) -> ids, one per rank (rank order); every rank's tensor must have the same shape and dtype.
Napi::Value Allgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "allgather");
  at::Tensor in = fetch(env, idArg(info, 0, "dist.allgather", "id"), "dist.allgather").contiguous();
  return guarded(env, "allgather", [&]() -> Napi::Value {
    std::vector<at::Tensor> out;
    for (int r = 0; r < s.world; r++) out.push_back(at::empty_like(in));
    s.group->allgather(out, in);
    Napi::Array ids = Napi::Array::New(env, out.size());
    for (size_t r = 0; r < out.size(); r++) ids.Set(static_cast<uint32_t>(r), Napi::Number::New(env, static_cast<double>(store(out[r]))));
    return ids;
  });
}

// broadcast(id, root) -> id: a new tensor holding root's values on every rank.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "broadcast");
  at::Tensor t = fetch(env, idArg(info, 0, "dist.broadcast", "id"), "dist.broadcast").clone().contiguous();
  const int64_t root64 = intArg(info, 1, "dist.broadcast", "root");
  if (root64 < 0 || root64 >= s.world) throw Napi::RangeError::New(env, "dist.broadcast: root must be in [0, world)");
  const int root = static_cast<int>(root64);
  return guarded(env, "broadcast", [&]() -> Napi::Value {
    s.group->broadcast(t, root);
    return Napi::Number::New(env, static_cast<double>(store(t)));
  });
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "barrier");
  guarded(env, "barrier", [&]() { s.group->barrier(); return 0; });
  return env.Undefined();
}

// storeSet(key, value): a string under cover's prefix of the rendezvous store.
Napi::Value StoreSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "storeSet", false);
  std::string key = stringArg(info, 0, "dist.storeSet", "key");
  std::string value = stringArg(info, 1, "dist.storeSet", "value");
  guarded(env, "storeSet", [&]() { s.store->set(key, std::vector<uint8_t>(value.begin(), value.end())); return 0; });
  return env.Undefined();
}

// storeGet(key, timeoutMs) -> string, or null when the key did not appear within timeoutMs.
Napi::Value StoreGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "storeGet", false);
  std::string key = stringArg(info, 0, "dist.storeGet", "key");
  auto wait = std::chrono::milliseconds(intArg(info, 1, "dist.storeGet", "timeoutMs"));
  return guarded(env, "storeGet", [&]() -> Napi::Value {
    if (!s.store->check({key})) {
      try {
        s.store->wait({key}, wait);
      } catch (const std::exception& e) {
        if (std::string(e.what()).find("imeout") == std::string::npos) throw;
        return env.Null();
      }
    }
    auto v = s.store->get(key);
    return Napi::String::New(env, std::string(v.begin(), v.end()));
  });
}

// storeAdd(key, n) -> the counter's new value.
Napi::Value StoreAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  State& s = joined(env, "storeAdd", false);
  std::string key = stringArg(info, 0, "dist.storeAdd", "key");
  int64_t n = intArg(info, 1, "dist.storeAdd", "n");
  return guarded(env, "storeAdd", [&]() -> Napi::Value { return Napi::Number::New(env, static_cast<double>(s.store->add(key, n))); });
}

// leave(): closes the process group's connections (peers blocked in a collective with this rank get an error at once)
// and keeps the store, so a failing rank 0 can still serve its failure report to the others.
Napi::Value Leave(const Napi::CallbackInfo& info) {
  if (state) state->group.reset();
  return info.Env().Undefined();
}

// destroy(): leaves the group (the store's server, on rank 0, stops with it).
Napi::Value Destroy(const Napi::CallbackInfo& info) {
  state.reset();
  return info.Env().Undefined();
}

Napi::Value InfoFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!state) return env.Null();
  return describeState(env, *state);
}

}  // namespace

void registerDist(Napi::Env env, Napi::Object exports) {
  Napi::Object d = Napi::Object::New(env);
  d.Set("init", Napi::Function::New(env, Init, "init"));
  d.Set("info", Napi::Function::New(env, InfoFn, "info"));
  d.Set("allreduce", Napi::Function::New(env, Allreduce, "allreduce"));
  d.Set("allgather", Napi::Function::New(env, Allgather, "allgather"));
  d.Set("broadcast", Napi::Function::New(env, Broadcast, "broadcast"));
  d.Set("barrier", Napi::Function::New(env, Barrier, "barrier"));
  d.Set("storeSet", Napi::Function::New(env, StoreSet, "storeSet"));
  d.Set("storeGet", Napi::Function::New(env, StoreGet, "storeGet"));
  d.Set("storeAdd", Napi::Function::New(env, StoreAdd, "storeAdd"));
  d.Set("leave", Napi::Function::New(env, Leave, "leave"));
  d.Set("destroy", Napi::Function::New(env, Destroy, "destroy"));
  exports.Set("dist", d);
}

}  // namespace cover_torch
