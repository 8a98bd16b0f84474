#pragma once
// Error types shared by every part. Bad input is an InputError that names the file and the problem; the CLI maps
// each kind to its own exit code so scripts can tell "your data is wrong" from "diffseg is wrong".
#include <filesystem>
#include <stdexcept>
#include <string>

namespace diffseg {

enum class ExitCode : int {
  ok = 0,
  internal = 1,   // a bug or an unexpected failure
  usage = 2,      // wrong command-line arguments or config values
  bad_input = 3,  // unreadable, corrupt or inconsistent input data
  output = 4,     // an output could not be written (permissions, disk full)
  interrupted = 5,  // stopped by SIGTERM/SIGINT after saving a checkpoint: --resume continues
  distributed = 6,  // another rank was lost, never arrived, timed out or disagreed (config, dataset)
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, ExitCode code = ExitCode::internal)
      : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Invalid configuration or arguments.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what, ExitCode::usage) {}
};

// A problem with an input file; the message always starts with the file's path.
class InputError : public Error {
 public:
  InputError(const std::filesystem::path& file, const std::string& problem)
      : Error(file.string() + ": " + problem, ExitCode::bad_input), file_(file) {}
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

// A problem writing an output file.
class OutputError : public Error {
 public:
  OutputError(const std::filesystem::path& file, const std::string& problem)
      : Error(file.string() + ": " + problem, ExitCode::output), file_(file) {}
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

// A distributed job cannot go on: a rank died, never joined, or runs with another config or dataset.
class DistributedError : public Error {
 public:
  explicit DistributedError(const std::string& what) : Error(what, ExitCode::distributed) {}
};

// The run was asked to stop (SIGTERM from a launcher or scheduler, Ctrl-C) and stopped cleanly.
class InterruptedError : public Error {
 public:
  explicit InterruptedError(const std::string& what) : Error(what, ExitCode::interrupted) {}
};

}  // namespace diffseg
