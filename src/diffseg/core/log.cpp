#include "diffseg/core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace diffseg {

void init_logging(Verbosity verbosity) {
  auto logger = spdlog::stderr_color_mt("diffseg");
  logger->set_pattern("%^[%H:%M:%S %l]%$ %v");
  switch (verbosity) {
    case Verbosity::quiet: logger->set_level(spdlog::level::warn); break;
    case Verbosity::normal: logger->set_level(spdlog::level::info); break;
    case Verbosity::verbose: logger->set_level(spdlog::level::debug); break;
  }
  spdlog::set_default_logger(logger);
}

}  // namespace diffseg
