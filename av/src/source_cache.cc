#include "source_cache.h"

#include <sys/stat.h>

namespace coverav {
namespace {

/** path, mtime, size and settings: a Source opened under another key is not reused. */
std::string keyOf(const std::string& path, Device device, int codecThreads) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  return path + '\0' + std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + '\0' +
         std::to_string(st.st_size) + '\0' + std::to_string(static_cast<int>(device)) + '\0' + std::to_string(codecThreads);
}

}  // namespace

std::unique_ptr<Source> SourceCache::take(const std::string& path, Device device, int codecThreads) {
  const std::string key = keyOf(path, device, codecThreads);
  if (!key.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->key == key) {
        std::unique_ptr<Source> s = std::move(it->source);
        idle_.erase(it);
        return s;
      }
    }
  }
  return std::make_unique<Source>(path, device, codecThreads);
}

void SourceCache::give(std::unique_ptr<Source> source) {
  const std::string key = keyOf(source->path(), source->device(), source->codecThreads());
  if (key.empty()) return;
  std::unique_ptr<Source> evicted;  // closed outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_front({key, std::move(source)});
  if (idle_.size() > kMaxIdle) {
    evicted = std::move(idle_.back().source);
    idle_.pop_back();
  }
}

SourceCache& sourceCache() {
  static SourceCache* cache = new SourceCache();  // never destroyed: workers may outlive static destruction at exit
  return *cache;
}

}  // namespace coverav
