// The wcstap config a capture is analysed with: YAML, as configs/wcstap.yaml writes it, holding only
// what the capture's scenario sets (its user signatures, `signatures:`); the tap's defaults for the
// rest.
#pragma once

#include <string>

#include "capture.h"

namespace wcsgen {

// Throws std::runtime_error when the file cannot be written.
void write_tap_config(const std::string& path, const Capture& cap);

}  // namespace wcsgen
