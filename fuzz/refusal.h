#pragma once
// The one outcome mapping every entry shares: returning is kAccepted, a diffseg::Error with a message (the reader
// refused the input and said why) is kRefused, and everything else propagates.
#include <stdexcept>
#include <string>

#include "diffseg/core/error.h"
#include "fuzz/fuzz_targets.h"

namespace diffseg::fuzz {

template <class F>
int accepted_or_refused(F&& read) {
  try {
    read();
    return kAccepted;
  } catch (const diffseg::Error& e) {
    // A refusal the user cannot act on is a bug too.
    if (std::string(e.what()).empty()) throw std::logic_error("input refused with an empty message");
    return kRefused;
  }
}

}  // namespace diffseg::fuzz
