#include "source.h"

#include <cmath>
#include <cstring>
#include <limits>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "failure.h"
#include "hw.h"
#include "log.h"

namespace coverav {

std::string avError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double rate(AVRational r) { return r.num > 0 && r.den > 0 ? av_q2d(r) : 0; }

/** Degrees the display matrix turns the picture, as ffmpeg's autorotate reads it: 0, 90, 180 or 270. */
int displayRotation(const AVStream* st) {
  const uint8_t* m = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (!m) return 0;
  double theta = -av_display_rotation_get(reinterpret_cast<const int32_t*>(m));
  if (std::isnan(theta)) return 0;
  int q = static_cast<int>(std::lround(theta / 90.0)) % 4;
  return ((q + 4) % 4) * 90;
}

/** `src` [sh, sw, 3] turned by deg (90 = clockwise) into `dst`. */
void rotateRgb(const uint8_t* src, int sw, int sh, int deg, uint8_t* dst) {
  const int dw = deg == 180 ? sw : sh;
  const int dh = deg == 180 ? sh : sw;
  for (int y = 0; y < dh; y++) {
    for (int x = 0; x < dw; x++) {
      int sx, sy;
      if (deg == 90) sx = y, sy = sh - 1 - x;
      else if (deg == 270) sx = sw - 1 - y, sy = x;
      else sx = sw - 1 - x, sy = sh - 1 - y;
      std::memcpy(dst + (static_cast<size_t>(y) * dw + x) * 3, src + (static_cast<size_t>(sy) * sw + sx) * 3, 3);
    }
  }
}

}  // namespace

Source::Source(const std::string& path, Device device, int codecThreads)
    : path_(path), device_(device), codecThreads_(codecThreads) {
  open();
}

Source::~Source() { close(); }

void Source::close() {
  sws_freeContext(sws_);
  sws_ = nullptr;
  swsSpace_ = swsRange_ = -1;
  av_frame_free(&swFrame_);
  av_frame_free(&frame_);
  av_packet_free(&pkt_);
  avcodec_free_context(&dec_);
  avformat_close_input(&fmt_);
  st_ = nullptr;
}

void Source::open() {
  clearLog();
  int r = avformat_open_input(&fmt_, path_.c_str(), nullptr, nullptr);
  if (r < 0) throw Failure("open", avError(r), capturedLog());
  r = avformat_find_stream_info(fmt_, nullptr);
  if (r < 0) throw Failure("open", avError(r), capturedLog());
  const AVCodec* codec = nullptr;
  si_ = av_find_best_stream(fmt_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  // ffprobe's `-select_streams v:0` and ffmpeg's `-map 0:v:0` take the first video stream, not the "best" one.
  for (unsigned i = 0; i < fmt_->nb_streams; i++) {
    if (fmt_->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(fmt_->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      si_ = static_cast<int>(i);
      break;
    }
  }
  if (si_ < 0) throw Failure("nostream", "has no video stream");
  st_ = fmt_->streams[si_];
  for (unsigned i = 0; i < fmt_->nb_streams; i++) {
    if (static_cast<int>(i) != si_) fmt_->streams[i]->discard = AVDISCARD_ALL;  // demux only the video stream
  }
  codec = avcodec_find_decoder(st_->codecpar->codec_id);
  if (!codec) throw Failure("nodecoder", std::string("no decoder for its video codec (") + avcodec_get_name(st_->codecpar->codec_id) + ")");
  dec_ = avcodec_alloc_context3(codec);
  pkt_ = av_packet_alloc();
  frame_ = av_frame_alloc();
  swFrame_ = av_frame_alloc();
  if (!dec_ || !pkt_ || !frame_ || !swFrame_) throw Failure("nomem", "out of memory opening the decoder");
  r = avcodec_parameters_to_context(dec_, st_->codecpar);
  if (r < 0) throw Failure("nodecoder", avError(r));
  dec_->pkt_timebase = st_->time_base;
  dec_->thread_count = codecThreads_;
  dec_->thread_type = codecThreads_ > 1 ? FF_THREAD_FRAME | FF_THREAD_SLICE : 0;
  if (device_ == Device::kCuda) hwFormat_ = attachCuda(dec_, codec);
  r = avcodec_open2(dec_, codec, nullptr);
  if (r < 0) throw Failure("nodecoder", std::string("cannot open the ") + codec->name + " decoder: " + avError(r), capturedLog());

  rotation_ = displayRotation(st_);
  fps_ = rate(st_->avg_frame_rate);
  if (fps_ <= 0) fps_ = rate(st_->r_frame_rate);
  tb_ = av_q2d(st_->time_base);
  // Times count from the video stream's start (the container's when the stream states none), so frame i is at i / fps
  // as the sampler counts it. `ffmpeg -ss` counts from the container's start: the same frames unless the two differ.
  startPts_ = st_->start_time != AV_NOPTS_VALUE ? st_->start_time
              : fmt_->start_time != AV_NOPTS_VALUE ? av_rescale_q(fmt_->start_time, AV_TIME_BASE_Q, st_->time_base)
                                                   : 0;
  atStart_ = true;
}

Facts Source::probe(bool countPackets) {
  Facts f;
  f.codec = avcodec_get_name(st_->codecpar->codec_id);
  f.width = st_->codecpar->width;
  f.height = st_->codecpar->height;
  f.rotation = rotation_;
  f.fps = fps_;
  f.streamDurationS = st_->duration != AV_NOPTS_VALUE ? st_->duration * tb_ : kNaN;
  f.formatDurationS = fmt_->duration != AV_NOPTS_VALUE ? static_cast<double>(fmt_->duration) / AV_TIME_BASE : kNaN;
  f.declaredFrames = st_->nb_frames;
  if (countPackets) {
    if (!atStart_) {  // a Source lent before has read on: count from the start
      close();
      open();
    }
    int64_t n = 0;
    while (av_read_frame(fmt_, pkt_) >= 0) {
      if (pkt_->stream_index == si_) n++;
      av_packet_unref(pkt_);
    }
    f.packets = n;
    atStart_ = false;
  }
  return f;
}

double Source::packetTime(const AVPacket* p) const {
  return p->pts == AV_NOPTS_VALUE ? kNaN : (p->pts - startPts_) * tb_;
}

double Source::frameTime(const AVFrame* f) {
  return f->best_effort_timestamp == AV_NOPTS_VALUE ? kNaN : (f->best_effort_timestamp - startPts_) * tb_;
}

double Source::keyframeBefore(double t) const {
  const int64_t ts = startPts_ + static_cast<int64_t>(std::floor(t / tb_));
  const int i = av_index_search_timestamp(st_, ts, AVSEEK_FLAG_BACKWARD);
  if (i < 0) return kNaN;
  const AVIndexEntry* e = avformat_index_get_entry(st_, i);
  return e ? (e->timestamp - startPts_) * tb_ : kNaN;
}

bool Source::seekTo(double t) {
  avcodec_flush_buffers(dec_);
  if (t <= 0 && atStart_) return true;
  const int64_t ts = startPts_ + static_cast<int64_t>(std::floor(std::max(0.0, t) / tb_));
  if (av_seek_frame(fmt_, si_, ts, AVSEEK_FLAG_BACKWARD) >= 0) {
    atStart_ = false;
    return true;
  }
  // Before the first index entry, or a demuxer that cannot seek: read again from the start.
  close();
  open();
  return false;
}

void Source::convert(AVFrame* f, int width, int height, uint8_t* dst) {
  AVFrame* src = f;
  if (hwFormat_ >= 0 && f->format == hwFormat_) {
    av_frame_unref(swFrame_);
    int r = av_hwframe_transfer_data(swFrame_, f, 0);  // only the sampled frames leave the GPU
    if (r < 0) throw Failure("cuda", "cannot copy a decoded frame from the GPU: " + avError(r));
    av_frame_copy_props(swFrame_, f);
    src = swFrame_;
  }
  // The scaler works in the stored orientation; a quarter turn swaps the size asked for.
  const bool quarter = rotation_ == 90 || rotation_ == 270;
  const int sw = quarter ? height : width;
  const int sh = quarter ? width : height;
  SwsContext* before = sws_;
  sws_ = sws_getCachedContext(sws_, src->width, src->height, static_cast<AVPixelFormat>(src->format), sw, sh,
                              AV_PIX_FMT_RGB24, SWS_FAST_BILINEAR, nullptr, nullptr, nullptr);
  if (!sws_) throw Failure("nodecoder", std::string("cannot convert its pixel format (") + av_get_pix_fmt_name(static_cast<AVPixelFormat>(src->format)) + ") to RGB");
  // As ffmpeg's scale filter does: the frame's own YUV matrix and range (BT.601 limited when it states none).
  const int space = src->colorspace;
  const int range = src->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(src->format));
  const bool yuv = desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB);  // an RGB source (VP9 gbrp) has no YUV matrix
  if (yuv && (sws_ != before || space != swsSpace_ || range != swsRange_)) {  // a new context starts from the defaults
    int* invTable = nullptr;
    int* table = nullptr;
    int srcRange = 0, dstRange = 0, brightness = 0, contrast = 0, saturation = 0;
    sws_getColorspaceDetails(sws_, &invTable, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation);
    sws_setColorspaceDetails(sws_, sws_getCoefficients(space), src->color_range == AVCOL_RANGE_UNSPECIFIED ? srcRange : range,
                             table, dstRange, brightness, contrast, saturation);
    swsSpace_ = space;
    swsRange_ = range;
  }
  uint8_t* out = dst;
  if (rotation_ != 0) {
    turned_.resize(static_cast<size_t>(sw) * sh * 3);
    out = turned_.data();
  }
  uint8_t* planes[4] = {out, nullptr, nullptr, nullptr};
  int strides[4] = {sw * 3, 0, 0, 0};
  sws_scale(sws_, src->data, src->linesize, 0, src->height, planes, strides);
  if (rotation_ != 0) rotateRgb(out, sw, sh, rotation_, dst);
}

DecodedFrames Source::decode(const std::vector<double>& times, int width, int height) {
  clearLog();
  DecodedFrames out;
  out.width = width;
  out.height = height;
  const size_t frameBytes = static_cast<size_t>(width) * height * 3;
  out.rgb.resize(frameBytes * times.size());
  if (times.empty()) return out;
  const double half = fps_ > 0 ? 0.5 / fps_ : 0;
  const double frameS = fps_ > 0 ? 1.0 / fps_ : 0;
  const size_t K = times.size();
  size_t k = 0;
  double backoff = 0;             // how far before a target the last seek had to go (overshoot recovery)
  bool seek = true;               // seek before reading on
  bool checkOvershoot = false;    // the first frame after a seek must not be past the target
  double sentUpTo = -1e300;       // latest packet time sent to the decoder since the last seek
  double lastTime = kNaN;         // time of the last frame out of the decoder
  bool eof = false;
  double soughtKf = -1e300;       // the keyframe the last skip ahead went to

  // Fills every target the frame `f` at time `t` is the answer for; true when all are filled.
  auto take = [&](AVFrame* f, double t) {
    const size_t first = k;
    while (k < K && !(t < times[k] - half)) {
      if (k == first) convert(f, width, height, out.rgb.data() + k * frameBytes);
      else std::memcpy(out.rgb.data() + k * frameBytes, out.rgb.data() + first * frameBytes, frameBytes);
      k++;
    }
    return k == K;
  };

  while (k < K && !eof) {
    if (seek) {
      const double target = times[k] - half - backoff;
      const bool seeked = seekTo(target);
      checkOvershoot = seeked && target > 0;
      sentUpTo = -1e300;
      lastTime = kNaN;
      seek = false;
    }
    int r = av_read_frame(fmt_, pkt_);
    atStart_ = false;
    if (r < 0) {
      eof = true;
      avcodec_send_packet(dec_, nullptr);  // drain what the decoder holds
    } else {
      if (pkt_->stream_index != si_) {
        av_packet_unref(pkt_);
        continue;
      }
      const double pt = packetTime(pkt_);
      if (!std::isnan(pt)) sentUpTo = std::max(sentUpTo, pt);
      // A frame nobody samples and no other frame refers to need not be decoded at all (B-frames, mostly).
      dec_->skip_frame = codecThreads_ == 1 && !std::isnan(pt) && pt < times[k] - half - frameS ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
      r = avcodec_send_packet(dec_, pkt_);
      av_packet_unref(pkt_);
      // Any other error is a damaged packet: skipped, as the ffmpeg command does.
      if (r == AVERROR(ENOMEM)) throw Failure("nomem", "out of memory decoding");
    }
    // Frames out, in presentation order.
    bool done = false;
    while (!done && (r = avcodec_receive_frame(dec_, frame_)) >= 0) {
      double t = frameTime(frame_);
      if (std::isnan(t)) t = std::isnan(lastTime) ? 0 : lastTime + frameS;
      if (checkOvershoot) {
        checkOvershoot = false;
        if (t > times[k] - half + frameS) {
          // The seek landed past the target (a sparse or wrong index): go back further and decode forward.
          backoff = backoff == 0 ? 2.0 : backoff * 4;
          seek = true;
          av_frame_unref(frame_);
          break;
        }
      }
      lastTime = t;
      done = take(frame_, t);
      av_frame_unref(frame_);
    }
    if (done || seek || eof) continue;
    // Skip ahead when a keyframe lies between what was sent and the next target.
    // (Index times may be decode times, a little before the frames' own: seeking to the same keyframe twice is never
    // progress, so each keyframe is sought at most once.)
    const double kf = keyframeBefore(times[k] - half);
    if (!std::isnan(kf) && kf > sentUpTo && kf > lastTime && kf > soughtKf && sentUpTo > -1e300) {
      soughtKf = kf;
      backoff = 0;
      seek = true;
    }
  }
  out.filled = static_cast<int>(k);
  if (out.filled == 0) throw Failure("noframe", "no frame decoded", capturedLog());
  return out;
}

}  // namespace coverav
