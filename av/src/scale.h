// cover's scaler of decoded frames, the same arithmetic as src/data/decode/resize.ts (scaleFrames), operation for
// operation: bilinear with half-pixel centres, weights in 11-bit fixed point, int32 sums, rounded half up. The two give
// the same bytes (test/data/resize.test.ts checks it where the addon is built), so a clip scaled here on the decode pool
// and one scaled in JS (no addon, or a clip cut from memory) are the same pixels.
#pragma once
#include <cstdint>

namespace coverav {

/** `frames` RGB frames [frames, sh, sw, 3] scaled to [frames, dh, dw, 3] into `dst`. */
void scaleRgb(const uint8_t* src, int frames, int sw, int sh, uint8_t* dst, int dw, int dh);

}  // namespace coverav
