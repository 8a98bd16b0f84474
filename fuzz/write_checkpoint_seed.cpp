// write_checkpoint_seed FILE: writes the checkpoint seed of fuzz/corpus/checkpoint/ (called by make_corpus.py).
#include <exception>
#include <iostream>

#include "fuzz/checkpoint_subject.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_checkpoint_seed FILE\n";
    return 2;
  }
  try {
    diffseg::fuzz::write_checkpoint_seed(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
