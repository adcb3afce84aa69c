// Replays a corpus through a libFuzzer-style target without libFuzzer (g++ builds, ctest
// fuzz_smoke): every file as is, every truncation, one bit flip per byte, and a fixed set of
// pseudo-random mutations. A crash or a failed FLEETPKI_CHECK fails the test.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Buffer = std::vector<std::uint8_t>;

std::size_t g_runs = 0;

void run(const Buffer& b) {
  // Copy into an exactly-sized heap buffer so ASan catches any read past the end.
  std::vector<std::uint8_t> exact(b);
  exact.shrink_to_fit();
  LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  ++g_runs;
}

struct Xorshift {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

void replay(const Buffer& seed, Xorshift& rng) {
  run(seed);
  for (std::size_t n = 0; n < seed.size(); ++n) {  // every truncation
    run(Buffer(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(n)));
  }
  for (std::size_t i = 0; i < seed.size(); ++i) {  // one bit flip per byte
    Buffer m = seed;
    m[i] = static_cast<std::uint8_t>(m[i] ^ (1u << (i % 8)));
    run(m);
  }
  static constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x7F, 0x80, 0x81, 0x82,
                                                  0x84, 0xFF, 0x30, 0xA0, 0x1F};
  for (int k = 0; k < 300; ++k) {  // random mutations: bytes, inserts, deletes, appends
    Buffer m = seed;
    const int edits = 1 + static_cast<int>(rng.below(4));
    for (int e = 0; e < edits && !m.empty(); ++e) {
      const std::size_t pos = rng.below(m.size());
      switch (rng.below(5)) {
        case 0:
          m[pos] = kInteresting[rng.below(sizeof kInteresting)];
          break;
        case 1:
          m[pos] = static_cast<std::uint8_t>(rng.next());
          break;
        case 2:
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(pos),
                   static_cast<std::uint8_t>(rng.next()));
          break;
        case 3:
          m.erase(m.begin() + static_cast<std::ptrdiff_t>(pos));
          break;
        default:
          m.push_back(static_cast<std::uint8_t>(rng.next()));
          break;
      }
    }
    run(m);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  Xorshift rng;
  std::size_t files = 0;
  for (int a = 1; a < argc; ++a) {
    std::vector<std::filesystem::path> paths;
    if (std::filesystem::is_directory(argv[a])) {
      for (const auto& entry : std::filesystem::directory_iterator(argv[a])) {
        if (entry.is_regular_file()) {
          paths.push_back(entry.path());
        }
      }
    } else {
      paths.emplace_back(argv[a]);
    }
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "cannot read %s\n", p.c_str());
        return 1;
      }
      Buffer seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      replay(seed, rng);
      ++files;
    }
  }
  if (files == 0) {
    std::fprintf(stderr, "empty corpus\n");
    return 1;
  }
  std::printf("replayed %zu corpus files, %zu inputs, no crash\n", files, g_runs);
  return 0;
}
