#pragma once
// The vocabulary of a run config (configs/*.yaml, `train --set`, an experiment's base config): every key any part
// reads from it, in one list, so a misspelt key is an error with a suggestion instead of a silent default
// (Config::check_known_keys). A part that starts reading a new key adds it here; tests/train/test_run_config_keys.cpp
// checks every shipped config against the list.
#include <string>
#include <vector>

#include "diffseg/core/config.h"

namespace diffseg::train {

const std::vector<std::string>& run_config_keys();
// Sections whose content is free-form: a dataset's recorded preprocessing (data.preprocessing) and a `preprocess:`
// section kept for `prepare --config` in the same file.
const std::vector<std::string>& run_config_open_sections();

// The settings of one run, lowest precedence first: the config file, the preset it (or `sets`) names from its
// `presets:` section, then `sets` (the command line's shorthands and --set, an experiment's overrides). Every preset of the file is checked for unknown keys, chosen or not; the chosen one is merged
// and the `presets:` section dropped, so the effective config a run folder records is self-contained and keeps
// `preset: NAME` as a note of where its values came from. A `preset:` without a `presets:` section (a run
// folder's recorded config) is that note and changes nothing.
void apply_run_settings(Config& config, const std::vector<Setting>& sets);

// UsageError naming each unknown key (with the closest known one) of a run config.
void check_run_config(const Config& config);

}  // namespace diffseg::train
