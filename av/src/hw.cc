#include "hw.h"

#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext.h>
}

#include "failure.h"

namespace coverav {
namespace {

std::mutex gMutex;
AVBufferRef* gCuda = nullptr;  // one CUDA device context for the process, made on first use

AVPixelFormat pickCuda(AVCodecContext* dec, const AVPixelFormat* formats) {
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; p++) {
    if (*p == AV_PIX_FMT_CUDA) return *p;
  }
  return AV_PIX_FMT_NONE;  // the decoder cannot hand CUDA frames for this stream: avcodec fails the packet
}

}  // namespace

std::vector<std::string> hardwareDevices() {
  std::vector<std::string> out;
  for (AVHWDeviceType t = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE); t != AV_HWDEVICE_TYPE_NONE;
       t = av_hwdevice_iterate_types(t)) {
    out.emplace_back(av_hwdevice_get_type_name(t));
  }
  return out;
}

/** The process's CUDA device, opened on first use; throws Failure('cuda') when it cannot be. */
AVBufferRef* cudaDevice() {
  std::lock_guard<std::mutex> lock(gMutex);
  if (!gCuda) {
    AVBufferRef* dev = nullptr;
    int r = av_hwdevice_ctx_create(&dev, AV_HWDEVICE_TYPE_CUDA, nullptr, nullptr, 0);
    if (r < 0) throw Failure("cuda", "cannot open a CUDA device for decoding (" + avError(r) + "): no NVIDIA GPU or driver here");
    gCuda = dev;
  }
  return gCuda;
}

std::string cudaProblem() {
  if (av_hwdevice_find_type_by_name("cuda") == AV_HWDEVICE_TYPE_NONE) return "this FFmpeg was built without CUDA";
  try {
    cudaDevice();
    return "";
  } catch (const Failure& f) {
    return f.what();
  }
}

int attachCuda(AVCodecContext* dec, const AVCodec* codec) {
  bool supported = false;
  for (int i = 0;; i++) {
    const AVCodecHWConfig* c = avcodec_get_hw_config(codec, i);
    if (!c) break;
    if ((c->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && c->device_type == AV_HWDEVICE_TYPE_CUDA) supported = true;
  }
  if (!supported) throw Failure("cuda", std::string("this FFmpeg has no NVDEC decoder for ") + codec->name);
  dec->hw_device_ctx = av_buffer_ref(cudaDevice());
  dec->get_format = pickCuda;
  return AV_PIX_FMT_CUDA;
}

}  // namespace coverav
