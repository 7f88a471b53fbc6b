// Deterministic driver of the message fuzz target, built with any compiler: replays every corpus
// file, a fixed number of seeded mutations of each, and random byte strings through
// LLVMFuzzerTestOneInput. It runs in the test suite where clang's libFuzzer is not available, and
// writes the seed corpus:
//   message_fuzz_replay <corpus dir>...          replay (exit 0 when nothing crashed)
//   message_fuzz_replay --write-seeds <dir>      (re)write the seeds after a format change
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "net/codec.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace halo::net::fuzz {
namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::vector<std::pair<std::string, Message>> SeedMessages() {
  std::vector<std::pair<std::string, Message>> seeds;
  Message ping(kPing);
  ping.request_id = 1;
  seeds.emplace_back("ping", ping);
  Message all(kFirstUserType,
              {Array::FromVector<float>({1.5f, -2}), Array::FromVector<int64_t>({7, 8, 9}),
               Array::FromVector<uint8_t>({1, 2}), Array::FromVector<int32_t>({-3}),
               Array::FromVector<double>({0.25}), Array::FromString("bytes")});
  all.request_id = 0x1122334455667788ull;
  seeds.emplace_back("every_dtype", all);
  seeds.emplace_back("empty_arrays",
                     Message(20, {Array::FromVector<float>({}), Array::FromVector<int64_t>({})}));
  Message error(21);
  error.request_id = 5;
  error.status = core::Status::NotFound("node 12 is not in part 3");
  seeds.emplace_back("error_reply", error);
  Message lookup(22, {Array::FromVector<int64_t>({3, 1, 4, 1, 5, 9, 2, 6})});
  seeds.emplace_back("lookup", lookup);
  return seeds;
}

int WriteSeeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& [name, message] : SeedMessages()) {
    core::Result<std::vector<Frame>> frames = Encode(message);
    if (!frames.ok()) return 1;
    for (bool owned : {false, true}) {
      std::ofstream out(dir + "/" + name + (owned ? "_owned" : ""), std::ios::binary);
      out << JoinFrames(*frames, owned);
    }
  }
  return 0;
}

}  // namespace
}  // namespace halo::net::fuzz

int main(int argc, char** argv) {
  using namespace halo::net::fuzz;  // NOLINT: a test driver
  if (argc == 3 && std::string(argv[1]) == "--write-seeds") return WriteSeeds(argv[2]);
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream in(entry.path(), std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  std::mt19937_64 rng(1);
  size_t runs = 0;
  for (const std::string& seed : corpus) {
    // The seeds are valid messages; one that no longer decodes means the format changed under
    // them and they need --write-seeds.
    SplitInput in = SplitFrames(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
    halo::core::Result<halo::net::Message> decoded = halo::net::Decode(in.frames);
    if (!decoded.ok()) {
      std::fprintf(stderr, "a seed no longer decodes: %s\n", decoded.status().ToString().c_str());
      return 1;
    }
    Run(seed);
    ++runs;
    for (int m = 0; m < 2000; ++m) {
      std::string input = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0:
            input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8)));
            break;
          case 1:
            input[at] = static_cast<char>(rng());
            break;
          case 2:
            input.resize(at);
            break;
          default:
            input.insert(at, 1, static_cast<char>(rng()));
            break;
        }
      }
      Run(input);
      ++runs;
    }
  }
  for (int r = 0; r < 50000; ++r) {
    std::string input(3 + rng() % 256, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    // Half of them get a plausible start of a header, so they get past the magic check.
    if (rng() % 2) input.insert((input[0] & 7) == 0 ? 1 : 3, std::string("HALO\x01\x00", 6));
    Run(input);
    ++runs;
  }
  std::printf("replayed %zu inputs (%zu corpus files), no crash\n", runs, corpus.size());
  return 0;
}
