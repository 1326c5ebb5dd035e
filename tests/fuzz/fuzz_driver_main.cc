// Without libFuzzer (gcc builds), runs a fuzz target once on every file named on the command line
// or found in a directory named there: the seed corpus and the past crashers become regression
// tests. Exits non-zero if an input cannot be read; a crash fails the test by itself.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        // README.md and .gitkeep document the folder; they are not inputs.
        const auto name = entry.path().filename().string();
        if (!entry.is_regular_file() || name == "README.md" || name == ".gitkeep") continue;
        ok = RunFile(entry.path()) && ok;
        ++inputs;
      }
    } else {
      ok = RunFile(arg) && ok;
      ++inputs;
    }
  }
  std::printf("ran %d inputs\n", inputs);
  return ok && inputs > 0 ? 0 : 1;
}
