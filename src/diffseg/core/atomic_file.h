#pragma once
// Outputs are written to a temporary sibling and renamed into place, so a kill at any moment leaves either the
// old file or the complete new one, never a truncated one.
#include <filesystem>
#include <functional>
#include <string>

namespace diffseg {

// Calls write(tmp) with a temporary path in the same folder that keeps `target`'s extension (so writers that
// choose compression by extension behave the same), then renames tmp onto target. On failure the temporary
// file is removed and the error is rethrown (as OutputError when it is a filesystem failure).
void write_atomically(const std::filesystem::path& target,
                      const std::function<void(const std::filesystem::path& tmp)>& write);

// Writes `text` to `target` atomically; OutputError when the disk is full or the folder not writable.
void write_text_atomically(const std::filesystem::path& target, const std::string& text);

// Removes the temporary files write_atomically leaves behind when its process is killed mid-write (".NAME.tmpPID_N"),
// in `dir` only; call it while holding the folder (RunLock), when no other writer can be busy there. Returns how
// many were removed.
int remove_abandoned_temporaries(const std::filesystem::path& dir);

// Creates the folder (and parents) or throws OutputError naming it.
void ensure_directory(const std::filesystem::path& dir);

}  // namespace diffseg
