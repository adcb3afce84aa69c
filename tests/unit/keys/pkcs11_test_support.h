// Test helper: a throw-away SoftHSM2 token in a temporary folder (STANDARDS.md §10). Writes a
// softhsm2.conf whose directories.tokendir is inside the folder, points SOFTHSM2_CONF at it (the
// module reads it at C_Initialize) and initializes a token with softhsm2-util.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace fleetpki::keys::testing {

inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsmToken final {
 public:
  explicit SoftHsmToken(std::string label = "fleetpki-test", std::string pin = "1234")
      : label_(std::move(label)), pin_(std::move(pin)) {
    tokens_ = dir_.path() / "tokens";
    std::filesystem::create_directories(tokens_);
    conf_ = dir_.path() / "softhsm2.conf";
    std::ofstream(conf_) << "directories.tokendir = " << tokens_.string()
                         << "\nobjectstore.backend = file\nlog.level = ERROR\n"
                            "slots.removable = false\n";
    ::setenv("SOFTHSM2_CONF", conf_.c_str(), 1);
    init_token();
  }

  /// softhsm2-util --init-token --free: a new, empty token with this label.
  void init_token() const {
    const std::string command = "softhsm2-util --init-token --free --label '" + label_ +
                                "' --so-pin 12345678 --pin '" + pin_ + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "softhsm2-util failed";
  }

  /// Moves the token's files away (the token disappears) / puts them back.
  void remove_token() const {
    std::filesystem::rename(tokens_, dir_.path() / "tokens.away");
    std::filesystem::create_directories(tokens_);
  }
  void restore_token() const {
    std::filesystem::remove_all(tokens_);
    std::filesystem::rename(dir_.path() / "tokens.away", tokens_);
  }

  const std::string& label() const { return label_; }
  const std::string& pin() const { return pin_; }
  const std::filesystem::path& folder() const { return dir_.path(); }
  const std::filesystem::path& conf() const { return conf_; }

 private:
  fleetpki::testing::TempDir dir_;
  std::string label_;
  std::string pin_;
  std::filesystem::path tokens_;
  std::filesystem::path conf_;
};

}  // namespace fleetpki::keys::testing
