// The SRTP master keys of a capture, for a checker or analyzer to decrypt it: YAML, one entry per
// SSRC that sends SRTP or SRTCP in the capture, its key as SDES's a=crypto inline: writes it
// (base64 of master key || master salt). Keys the capture's own SDP announces (SDES) are left for
// the tap to learn there: listed in comments only (for the checks that no key leaks).
#pragma once

#include <string>

#include "capture.h"

namespace wcsgen {

// Throws std::runtime_error when the file cannot be written.
void write_key_file(const std::string& path, const Capture& cap);

}  // namespace wcsgen
