#include "diffseg/dist/process_group.h"

#include <atomic>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "diffseg/core/error.h"

namespace diffseg::dist {

// The collectives' common base: ProcessGroup in LibTorch 1.x, Backend from 2.0 on (ProcessGroup became a wrapper).
#if TORCH_VERSION_MAJOR >= 2
using CollectiveBackend = c10d::Backend;
#else
using CollectiveBackend = c10d::ProcessGroup;
#endif

namespace {

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

std::string rank_list(const std::vector<int>& ranks) {
  std::string s;
  for (int r : ranks) s += (s.empty() ? "" : ", ") + std::to_string(r);
  return s;
}

}  // namespace

struct Group::Impl {
  LaunchEnv env;
  GroupOptions options;
  c10::intrusive_ptr<c10d::Store> store;
  // The heartbeat has a connection of its own: TCPStore serialises a client's operations, and a rank waiting in
  // the store (a gather) must go on showing signs of life.
  c10::intrusive_ptr<c10d::Store> heartbeat_store;
  c10::intrusive_ptr<CollectiveBackend> backend;
  std::atomic<bool> failed{false};
  int64_t gather_calls = 0;

  // Sign of life: rank r's key "alive/r" counts up once a second while the process runs.
  std::thread heartbeat;
  std::mutex mutex;
  std::condition_variable stop_cv;
  bool stopping = false;

  void start_heartbeat() {
    heartbeat = std::thread([this] {
      int64_t beat = 0;
      std::unique_lock<std::mutex> lock(mutex);
      while (!stopping) {
        try {
          heartbeat_store->set("alive/" + std::to_string(env.rank), bytes(std::to_string(++beat)));
        } catch (const std::exception&) {
          return;  // the store's host is gone; the next collective reports it
        }
        stop_cv.wait_for(lock, std::chrono::seconds(1), [this] { return stopping; });
      }
    });
  }

  std::vector<std::string> beats() {
    std::vector<std::string> v(static_cast<size_t>(env.world_size));
    for (int r = 0; r < env.world_size; ++r) {
      const std::string key = "alive/" + std::to_string(r);
      if (store->check({key})) v[static_cast<size_t>(r)] = text(store->get(key));
    }
    return v;
  }

  // Which ranks stopped beating: two looks at the heartbeats, 2.5 s apart.
  std::string diagnose() {
    try {
      const auto before = beats();
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      const auto after = beats();
      std::vector<int> lost;
      for (int r = 0; r < env.world_size; ++r)
        if (r != env.rank && (after[static_cast<size_t>(r)].empty() || after[static_cast<size_t>(r)] == before[static_cast<size_t>(r)]))
          lost.push_back(r);
      if (lost.empty()) return "every rank still shows signs of life (a rank may be stuck or slower than the timeout)";
      return std::string(lost.size() == 1 ? "rank " : "ranks ") + rank_list(lost) + " stopped responding (exited, killed or hung)";
    } catch (const std::exception&) {
      return "the rendezvous store at " + env.master_addr + ":" + std::to_string(env.master_port) + " (hosted by " +
             (env.agent_store ? "the launcher's agent" : "rank 0") + ") is unreachable: " +
             (env.agent_store ? "the launcher" : "rank 0") + " is lost";
    }
  }

  // Waits for `keys` as long as the ranks that have not written theirs keep beating (a rank with more work, such as
  // a longer evaluation shard, is waited for), but at most `limit`; a missing rank that stopped beating fails the
  // wait within about 10 s.
  void wait_alive(const std::vector<std::string>& keys, std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> last = beats();
    while (true) {
      try {
        store->wait(keys, std::chrono::milliseconds(10000));
        return;
      } catch (const std::exception&) {
      }
      const std::vector<std::string> now = beats();
      std::vector<int> lost;
      for (int r = 0; r < env.world_size; ++r)
        if (!store->check({keys[static_cast<size_t>(r)]}) && (now[static_cast<size_t>(r)].empty() ||
                                                              now[static_cast<size_t>(r)] == last[static_cast<size_t>(r)]))
          lost.push_back(r);
      if (!lost.empty())
        throw std::runtime_error(std::string(lost.size() == 1 ? "rank " : "ranks ") + rank_list(lost) +
                                 " stopped responding while the others waited for it");
      if (std::chrono::steady_clock::now() - start > limit)
        throw std::runtime_error("other ranks are alive but did not arrive within " +
                               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limit).count()) +
                               " s (12 × dist.timeout_s): a rank may be stuck");
      last = now;
    }
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    stop_cv.notify_all();
    if (heartbeat.joinable()) heartbeat.join();
    // After a failure the backend may still wait on a dead peer in its destructor: leave it to the process exit.
    if (failed) {
      (void)backend.release();
      (void)store.release();
      (void)heartbeat_store.release();
    }
  }
};

c10::Device device_for_rank(c10::Device requested, const LaunchEnv& env) {
  c10::Device d = requested;
  if (env.distributed() && requested.is_cuda() && !requested.has_index())
    d = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
  // The current device too, so that code which allocates on "the" GPU (NCCL's streams) uses this rank's.
  if (d.is_cuda() && d.has_index()) c10::impl::getDeviceGuardImpl(d.type())->setDevice(d);
  return d;
}

void Pending::wait() {
  if (wait_) wait_();
  wait_ = nullptr;
}

Group::Group(int rank, int size, std::unique_ptr<Impl> impl) : rank_(rank), size_(size), impl_(std::move(impl)) {}
Group::~Group() = default;

std::shared_ptr<Group> Group::single() { return std::shared_ptr<Group>(new Group(0, 1, nullptr)); }

std::shared_ptr<Group> Group::join(const LaunchEnv& env, const GroupOptions& options) {
  if (!env.distributed()) return single();
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->options = options;
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = env.master_port;
    so.isServer = env.rank == 0 && !env.agent_store;
    so.numWorkers = static_cast<size_t>(env.world_size);
    so.waitWorkers = false;  // diffseg waits itself below, so that it can name the ranks that never came
    so.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    // Keys of an earlier torchrun restart attempt must not satisfy this attempt's waits.
    const std::string prefix = "diffseg/attempt_" + std::to_string(env.restart_count);
    impl->store = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
    so.isServer = false;
    impl->heartbeat_store =
        c10::make_intrusive<c10d::PrefixStore>(prefix, c10::make_intrusive<c10d::TCPStore>(env.master_addr, so));
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(env.rank) + ": cannot reach the rendezvous store at " + where +
                           " within " + std::to_string(options.timeout.count()) + " s (is rank 0 running, are " +
                           "MASTER_ADDR/MASTER_PORT right and the port free?): " + e.what());
  }
  impl->store->set("joined/" + std::to_string(env.rank), bytes("1"));
  std::vector<std::string> keys;
  for (int r = 0; r < env.world_size; ++r) keys.push_back("joined/" + std::to_string(r));
  try {
    impl->store->wait(keys, timeout);
  } catch (const std::exception&) {
    std::vector<int> missing;
    for (int r = 0; r < env.world_size; ++r)
      if (!impl->store->check({keys[static_cast<size_t>(r)]})) missing.push_back(r);
    throw DistributedError("rank " + std::to_string(env.rank) + ": " + (missing.size() == 1 ? "rank " : "ranks ") +
                           rank_list(missing) + " of " + std::to_string(env.world_size) + " did not join within " +
                           std::to_string(options.timeout.count()) + " s (dist.timeout_s)");
  }
  impl->start_heartbeat();

  std::string name;
  try {
#ifdef USE_C10D_NCCL
    if (options.device.is_cuda()) {
      // Without blocking wait, NCCL's wait() only orders streams and a lost peer aborts the process from NCCL's
      // watchdog; with it, wait() blocks up to the timeout and throws, so the error names the lost rank.
      setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
      setenv("NCCL_BLOCKING_WAIT", "1", 0);  // the name before LibTorch 2.2
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      impl->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, env.rank, env.world_size, o);
      name = "nccl";
    }
#endif
    if (!impl->backend) {
      auto o = c10d::ProcessGroupGloo::Options::create(timeout);
      if (!env.socket_ifname.empty()) {
        std::stringstream names(env.socket_ifname);
        for (std::string iface; std::getline(names, iface, ',');)
          if (!iface.empty()) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
      } else {
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      o->threads = 2;
      impl->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world_size, o);
      name = "gloo";
    }
  } catch (const std::exception& e) {
    impl->failed = true;
    throw DistributedError("rank " + std::to_string(env.rank) + ": cannot connect to the other ranks: " + e.what());
  }
  auto group = std::shared_ptr<Group>(new Group(env.rank, env.world_size, std::move(impl)));
  group->backend_name_ = name;
  spdlog::debug("rank {} of {} joined through {} ({})", env.rank, env.world_size, where, name);
  return group;
}

void Group::run(const std::string& what, const std::function<void()>& collective) {
  try {
    collective();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    impl_->failed = true;
    throw DistributedError("rank " + std::to_string(rank_) + ": " + what + " failed: " + impl_->diagnose() +
                           ". Restart the job with --resume to continue from the last checkpoint. (c10d: " +
                           std::string(e.what()).substr(0, 300) + ")");
  }
}

Pending Group::allreduce_sum_async(at::Tensor& tensor) {
  if (size_ == 1) return {};
  // NCCL reduces device memory only: small CPU tensors (step statistics) travel through the GPU.
  const bool staged = backend_name_ == "nccl" && tensor.is_cpu();
  at::Tensor target = staged ? tensor.to(impl_->options.device) : tensor;
  c10::intrusive_ptr<c10d::Work> work;
  run("an all-reduce", [&] {
    std::vector<at::Tensor> v{target};
    work = impl_->backend->allreduce(v);
  });
  return Pending([this, work, staged, target, tensor]() mutable {
    run("an all-reduce", [&] { work->wait(); });
    if (staged) tensor.copy_(target.cpu());
  });
}

void Group::allreduce_sum(at::Tensor& tensor) { allreduce_sum_async(tensor).wait(); }

void Group::broadcast(at::Tensor& tensor, int root) {
  if (size_ == 1) return;
  run("a broadcast", [&] {
    std::vector<at::Tensor> v{tensor};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    impl_->backend->broadcast(v, o)->wait();
  });
}

at::Tensor Group::allgather(const at::Tensor& tensor) {
  if (size_ == 1) return tensor.unsqueeze(0).clone();
  const bool staged = backend_name_ == "nccl" && tensor.is_cpu();
  if (staged) return allgather(tensor.to(impl_->options.device)).cpu();
  const at::Tensor input = tensor.contiguous();
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < size_; ++r) out[0].push_back(at::empty_like(input));
  run("an all-gather", [&] {
    std::vector<at::Tensor> in{input};
    impl_->backend->allgather(out, in)->wait();
  });
  return at::stack(out[0]);
}

std::vector<std::string> Group::allgather_strings(const std::string& message) {
  if (size_ == 1) return {message};
  const std::string tag = "gather/" + std::to_string(impl_->gather_calls++) + "/";
  std::vector<std::string> out(static_cast<size_t>(size_));
  run("a gather of results", [&] {
    impl_->store->set(tag + std::to_string(rank_), bytes(message));
    std::vector<std::string> keys;
    for (int r = 0; r < size_; ++r) keys.push_back(tag + std::to_string(r));
    impl_->wait_alive(keys, std::chrono::duration_cast<std::chrono::milliseconds>(impl_->options.timeout) * 12);
    for (int r = 0; r < size_; ++r) out[static_cast<size_t>(r)] = text(impl_->store->get(keys[static_cast<size_t>(r)]));
  });
  barrier();  // nobody deletes or reuses keys while another rank still reads them
  try {
    impl_->store->deleteKey(tag + std::to_string(rank_));
  } catch (const std::exception&) {
    // rank 0 (the store's host) may already have finished: the key goes with the store
  }
  return out;
}

void Group::wait_for_all() {
  if (size_ > 1) allgather_strings("");
}

void Group::run_everywhere(const std::string& what, const std::function<void()>& work) {
  if (size_ == 1) return work();
  std::exception_ptr mine;
  std::string message;
  try {
    work();
  } catch (const std::exception& e) {
    mine = std::current_exception();
    message = std::string("!") + e.what();  // "!" marks a failure even when what() is empty
  }
  const std::vector<std::string> all = allgather_strings(message);
  if (mine) std::rethrow_exception(mine);
  for (size_t r = 0; r < all.size(); ++r)
    if (!all[r].empty())
      throw DistributedError("rank " + std::to_string(r) + " failed while " + what + ": " + all[r].substr(1));
}

void Group::barrier() {
  if (size_ == 1) return;
  // An all-reduce of one number rather than c10d's barrier: Gloo's barrier ignores the timeout in some versions.
  at::Tensor one = at::ones({1});
  allreduce_sum(one);
}

void Group::require_identical(const std::string& what, uint64_t fingerprint) {
  if (size_ == 1) return;
  const at::Tensor mine = at::full({1}, static_cast<int64_t>(fingerprint), at::kLong);
  const at::Tensor all = allgather(mine);
  std::vector<int> differ;
  for (int r = 1; r < size_; ++r)
    if (all[r].item<int64_t>() != all[0].item<int64_t>()) differ.push_back(r);
  if (!differ.empty())
    throw DistributedError("rank " + std::to_string(rank_) + ": " + (differ.size() == 1 ? "rank " : "ranks ") +
                           rank_list(differ) + " run with a different " + what + " than rank 0; every rank must " +
                           "run the same command on the same data");
}

}  // namespace diffseg::dist
