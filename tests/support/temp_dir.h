// Test helper: a temporary folder removed with its content at scope exit.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace fleetpki::testing {

class TempDir final {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fleetpki-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();  // no temp folder: nothing can be tested
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace fleetpki::testing
