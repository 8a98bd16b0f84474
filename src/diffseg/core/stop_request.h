#pragma once
// A polite stop: SIGTERM (what torchrun, SLURM and `kill` send) or SIGINT (Ctrl-C) sets a flag that long loops
// check between units of work, so they can save their state and exit cleanly. A second signal more than 3 s
// after the first ends the process at once, as if no handler were installed.
namespace diffseg {

void install_stop_handlers();  // idempotent
bool stop_requested();

}  // namespace diffseg
