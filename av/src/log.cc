#include "log.h"

#include <cstdarg>
#include <mutex>

extern "C" {
#include <libavutil/log.h>
}

namespace coverav {
namespace {

constexpr size_t kMaxLog = 8192;
thread_local std::string tLog;

void capture(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_ERROR || tLog.size() >= kMaxLog) return;
  char line[1024];
  int prefix = 1;
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &prefix);
  tLog += line;
  if (tLog.size() > kMaxLog) tLog.resize(kMaxLog);
}

}  // namespace

void installLogCapture() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(capture); });
}

void clearLog() { tLog.clear(); }

std::string capturedLog() { return tLog; }

}  // namespace coverav
