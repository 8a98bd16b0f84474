#pragma once
// A polite stop: SIGTERM (what torchrun, SLURM and `kill` send) or SIGINT (Ctrl-C) sets a flag that long loops
// check between units of work, so they can save their state and exit cleanly. A second signal ends the process
// at once, as if no handler were installed.
namespace diffseg {

void install_stop_handlers();  // idempotent
bool stop_requested();
int stop_signal();             // the signal that asked (0 = none)
void request_stop_for_test(int signal);

}  // namespace diffseg
