// Unit tests of the master secret file: creation, permissions and the environment override.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "keys/software/software_key_vault.h"
#include "keys_test_support.h"

namespace fleetpki::keys {
namespace {

using testing::TempDir;

/// Unsets $FLEETPKI_MASTER_SECRET for the test and restores nothing (tests own the process env).
class MasterSecretTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv(kMasterSecretEnv); }
  void TearDown() override { unsetenv(kMasterSecretEnv); }
  TempDir dir_;
};

TEST_F(MasterSecretTest, CreatedFileIsMode0600With32RandomBytesInHex) {
  auto file = dir_.path() / "master.key";
  ASSERT_TRUE(create_master_secret_file(file));
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.size(), 64u);
  auto secret = load_master_secret(file);
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_EQ(secret->size(), 32u);
  EXPECT_EQ(to_hex(secret->view()), line);

  auto other = dir_.path() / "master2.key";
  ASSERT_TRUE(create_master_secret_file(other));
  EXPECT_NE(to_hex(load_master_secret(other)->view()), line);
}

TEST_F(MasterSecretTest, ExistingFileIsNotOverwritten) {
  auto file = dir_.path() / "master.key";
  ASSERT_TRUE(create_master_secret_file(file));
  auto before = to_hex(load_master_secret(file)->view());
  auto again = create_master_secret_file(file);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  EXPECT_EQ(to_hex(load_master_secret(file)->view()), before);
}

TEST_F(MasterSecretTest, FileReadableByOthersIsRefusedWithChmodAdvice) {
  auto file = dir_.path() / "master.key";
  ASSERT_TRUE(create_master_secret_file(file));
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  auto secret = load_master_secret(file);
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, Errc::FailedPrecondition);
  EXPECT_NE(secret.error().message.find("chmod 600"), std::string::npos) << secret.error().message;
  ASSERT_EQ(chmod(file.c_str(), 0400), 0);
  EXPECT_TRUE(load_master_secret(file));
}

TEST_F(MasterSecretTest, MissingFileIsNotFound) {
  auto secret = load_master_secret(dir_.path() / "absent");
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, Errc::NotFound);
}

TEST_F(MasterSecretTest, EnvironmentVariableWinsOverTheFile) {
  auto file = dir_.path() / "master.key";
  ASSERT_TRUE(create_master_secret_file(file));
  ASSERT_EQ(setenv(kMasterSecretEnv, "00112233445566778899aabbccddeeff", 1), 0);
  auto secret = load_master_secret(file);
  ASSERT_TRUE(secret);
  EXPECT_EQ(to_hex(secret->view()), "00112233445566778899aabbccddeeff");
  // Works without any file, and non-hex text is taken as it is.
  ASSERT_EQ(setenv(kMasterSecretEnv, "not hex: a passphrase", 1), 0);
  auto text = load_master_secret(dir_.path() / "absent");
  ASSERT_TRUE(text);
  EXPECT_EQ(std::string(as_chars(text->view())), "not hex: a passphrase");
}

TEST_F(MasterSecretTest, EmptyFileIsRefused) {
  auto file = dir_.path() / "empty.key";
  { std::ofstream out(file); }
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  auto secret = load_master_secret(file);
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.error().code, Errc::FailedPrecondition);
}

}  // namespace
}  // namespace fleetpki::keys
