// The one error type of the decoder: a code the JS side maps to cover's messages, a text for the user, and the lines
// FFmpeg logged about the file.
#pragma once
#include <stdexcept>
#include <string>

namespace coverav {

struct Failure : std::runtime_error {
  /** 'open' (not readable as a video), 'nostream', 'nodecoder', 'noframe', 'cuda', 'args', 'nomem'. */
  std::string code;
  std::string log;
  Failure(std::string code_, const std::string& message, std::string log_ = "")
      : std::runtime_error(message), code(std::move(code_)), log(std::move(log_)) {}
};

/** FFmpeg's text for an error code. */
std::string avError(int err);

}  // namespace coverav
