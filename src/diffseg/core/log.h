#pragma once
// Logging goes through spdlog to stderr, so stdout stays clean for tables and JSON that users pipe elsewhere.
#include <spdlog/spdlog.h>

namespace diffseg {

enum class Verbosity { quiet, normal, verbose };

void init_logging(Verbosity verbosity);

}  // namespace diffseg
