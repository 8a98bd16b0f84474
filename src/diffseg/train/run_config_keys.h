#pragma once
// The vocabulary of a run config (configs/*.yaml, `train --set`, an experiment's base config): every key any part
// reads from it, in one list, so a misspelt key is an error with a suggestion instead of a silent default
// (Config::check_known_keys). A part that starts reading a new key adds it here; tests/train/test_run_config_keys.cpp
// checks every shipped config against the list.
#include <string>
#include <vector>

namespace diffseg {
class Config;
}

namespace diffseg::train {

const std::vector<std::string>& run_config_keys();
// Sections whose content is free-form: a dataset's recorded preprocessing (data.preprocessing) and a `preprocess:`
// section kept for `prepare --config` in the same file.
const std::vector<std::string>& run_config_open_sections();

// UsageError naming each unknown key (with the closest known one) of a run config.
void check_run_config(const Config& config);

}  // namespace diffseg::train
