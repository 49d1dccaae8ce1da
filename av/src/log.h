// FFmpeg's log lines, captured for the thread that does the work instead of printed on cover's stderr: a failure then
// carries the lines FFmpeg wrote about that file ("moov atom not found", "Invalid data found ..."), as the ffmpeg
// command's stderr did, so the caller can tell a file cut short from one that is not a video.
#pragma once
#include <string>

namespace coverav {

/** Routes av_log to the capture (errors and worse; everything else is dropped). Once per process. */
void installLogCapture();
/** Starts a fresh capture on this thread. */
void clearLog();
/** The lines captured on this thread since clearLog (at most 8 KiB). */
std::string capturedLog();

}  // namespace coverav
