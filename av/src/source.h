// One open video file: its demuxer, the decoder of its first video stream and a scaler. Probing counts the stream's
// packets (demuxing only, no decode: what `ffprobe -count_packets` does); decoding a clip seeks to the keyframe at or
// before the clip's first frame, decodes forward, and converts and scales only the frames the clip samples, straight
// into the clip's RGB buffer. Not thread-safe: one thread uses a Source at a time (SourceCache hands them out).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct AVFormatContext;
struct AVCodecContext;
struct AVStream;
struct AVFrame;
struct AVPacket;
struct SwsContext;
struct AVBufferRef;

namespace coverav {

/** What the file states and holds, in the fields ffprobe prints (the JS side turns them into a VideoInfo). */
struct Facts {
  std::string codec;
  /** Coded frame size, before rotation. */
  int width = 0;
  int height = 0;
  /** Degrees the display matrix turns the picture (0, 90, 180, 270), as ffmpeg's autorotate applies it. */
  int rotation = 0;
  /** avg_frame_rate, else r_frame_rate; 0 when neither is usable. */
  double fps = 0;
  /** The stream's and the container's duration in seconds; NaN when not stated. */
  double streamDurationS = 0;
  double formatDurationS = 0;
  /** nb_frames of the stream header (0 when not stated). */
  int64_t declaredFrames = 0;
  /** Packets of the stream the file really holds (-1 when not counted). */
  int64_t packets = -1;
};

/** A decoded clip: `frames` RGB frames of width x height ([frames, height, width, 3] uint8). */
struct DecodedFrames {
  std::vector<uint8_t> rgb;
  int filled = 0;
  int width = 0;
  int height = 0;
};

enum class Device { kCpu, kCuda };

class Source {
 public:
  /** Opens `path` (any FFmpeg input the demuxers know) and its first video stream's decoder; throws Failure. */
  Source(const std::string& path, Device device, int codecThreads);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  /** The header's facts, with the packets counted when `countPackets` (reads the whole file, no decode). */
  Facts probe(bool countPackets);

  /**
   * The frames shown at `times` (seconds from the start of the file, ascending): for each time t, the first frame
   * whose timestamp is at least t - half a frame. `filled` < times.size() when the video ends first: the last slot
   * filled then holds the video's last frame. Scaled to width x height (the displayed orientation), RGB24.
   */
  DecodedFrames decode(const std::vector<double>& times, int width, int height);

  const std::string& path() const { return path_; }
  Device device() const { return device_; }
  int codecThreads() const { return codecThreads_; }

 private:
  void open();
  void close();
  /** Seek to the keyframe at or before `t` seconds; false when the demuxer cannot (then the file is reopened). */
  bool seekTo(double t);
  double frameTime(const AVFrame* f);
  double packetTime(const AVPacket* p) const;
  /** The time of the keyframe at or before t from the demuxer's index; NaN when it has none. */
  double keyframeBefore(double t) const;
  /** Scale and convert `f` (rotated as displayed) into `dst`. */
  void convert(AVFrame* f, int width, int height, uint8_t* dst);

  std::string path_;
  Device device_;
  int codecThreads_;
  AVFormatContext* fmt_ = nullptr;
  AVCodecContext* dec_ = nullptr;
  AVStream* st_ = nullptr;
  int si_ = -1;
  AVPacket* pkt_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVFrame* swFrame_ = nullptr;
  SwsContext* sws_ = nullptr;
  int swsSpace_ = -1;
  int swsRange_ = -1;
  std::vector<uint8_t> turned_;
  int rotation_ = 0;
  double fps_ = 0;
  double tb_ = 0;
  int64_t startPts_ = 0;
  /** True while the demuxer is where open() left it (nothing read yet). */
  bool atStart_ = true;
  int hwFormat_ = -1;
};

}  // namespace coverav
