// Open Sources kept between requests, so a file's probe and its decodes share one open (and the demuxer's index), as
// long as the file is unchanged (same mtime and size). A Source is lent to one worker at a time; a failed one is not
// given back. At most kMaxIdle are kept, the least recently used going first.
#pragma once
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "source.h"

namespace coverav {

class SourceCache {
 public:
  /** An idle Source of this file with these settings, or a newly opened one (throws Failure). */
  std::unique_ptr<Source> take(const std::string& path, Device device, int codecThreads);
  /** Back for the next request of the same file. */
  void give(std::unique_ptr<Source> source);

 private:
  struct Entry {
    std::string key;
    std::unique_ptr<Source> source;
  };
  static constexpr size_t kMaxIdle = 16;
  std::mutex mu_;
  std::list<Entry> idle_;  // most recently given back first
};

/** The process's cache, shared by every worker. */
SourceCache& sourceCache();

}  // namespace coverav
