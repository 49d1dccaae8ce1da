// GPU decoding through FFmpeg's CUDA hardware device (NVDEC), as DALI and torchcodec do: frames stay on the GPU while
// decoding, and only the sampled ones are copied back (Source::convert). Where this FFmpeg has no CUDA support, or the
// machine no NVIDIA driver or GPU, the request fails with a Failure('cuda', ...) that says which.
#pragma once
#include <string>
#include <vector>

struct AVCodecContext;
struct AVCodec;

namespace coverav {

/** The hardware device types this FFmpeg build knows ('cuda', 'vaapi', 'vdpau', ...). */
std::vector<std::string> hardwareDevices();

/** Why CUDA decoding cannot run here (no NVDEC in this FFmpeg, no GPU or driver), or "" when it can: opens the device. */
std::string cudaProblem();

/** Gives `dec` the process's CUDA device and a get_format that picks its frames; returns the CUDA pixel format. */
int attachCuda(AVCodecContext* dec, const AVCodec* codec);

}  // namespace coverav
