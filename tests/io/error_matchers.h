#pragma once
#include <string>

#include <gtest/gtest.h>

#include "diffseg/core/error.h"

// Asserts that `statement` throws diffseg::InputError whose message names `file` and contains `words`.
#define EXPECT_INPUT_ERROR(statement, file, words)                                                       \
  do {                                                                                                   \
    try {                                                                                                \
      statement;                                                                                         \
      ADD_FAILURE() << "expected InputError (" << (words) << "), nothing was thrown";                     \
    } catch (const diffseg::InputError& e) {                                                             \
      const std::string msg = e.what();                                                                  \
      EXPECT_NE(msg.find(std::string(file)), std::string::npos) << "message does not name the file: " << msg; \
      EXPECT_NE(msg.find(words), std::string::npos) << "message lacks '" << (words) << "': " << msg;       \
    }                                                                                                    \
  } while (0)
