// fake_store: a halo-store that never becomes ready: it accepts any flags, says so on stderr and
// blocks until a signal ends it (the launcher's store_ready_s timeout must catch it).
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
  std::fprintf(stderr, "fake_store: started with %d arguments; never ready\n", argc - 1);
  (void)argv;
  while (true) pause();
}
