// The vault's master secret: created once as 32 random bytes (hex, mode 0600), read from the
// environment or from that file, which must not be readable by group or others.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.h"
#include "keys/software/software_key_vault.h"

namespace fleetpki::keys {
namespace {

constexpr std::size_t kMasterSecretBytes = 32;
constexpr std::size_t kMaxSecretFileBytes = 4096;
constexpr std::size_t kWeakSecretBytes = 16;

std::string errno_text(int err) { return std::strerror(err); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Hex (either case, even length) decodes to bytes; any other text is used as it is. Surrounding
/// white space (a trailing newline) is ignored. Decodes straight into wiped memory.
Result<SecureBytes> parse_secret(const char* data, std::size_t size, std::string_view source) {
  std::size_t begin = 0, end = size;
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (begin < end && is_space(data[begin])) ++begin;
  while (end > begin && is_space(data[end - 1])) --end;
  std::size_t length = end - begin;
  if (length == 0) {
    return fail(Errc::FailedPrecondition, "the master secret in " + std::string(source) + " is empty");
  }
  bool is_hex = length % 2 == 0;
  for (std::size_t i = begin; is_hex && i < end; ++i) {
    is_hex = hex_digit(data[i]) >= 0;
  }
  SecureBytes secret(is_hex ? length / 2 : length);
  if (is_hex) {
    for (std::size_t i = 0; i < length / 2; ++i) {
      secret.data()[i] = static_cast<std::uint8_t>((hex_digit(data[begin + 2 * i]) << 4) |
                                                    hex_digit(data[begin + 2 * i + 1]));
    }
  } else {
    std::memcpy(secret.data(), data + begin, length);
  }
  if (secret.size() < kWeakSecretBytes) {
    log::warn("the master secret in " + std::string(source) + " is shorter than 16 bytes: use " +
              "a random 32-byte secret (fleetpki creates one in hex)");
  }
  return secret;
}

}  // namespace

Status create_master_secret_file(const std::filesystem::path& file) {
  unsigned char secret[kMasterSecretBytes];
  if (::RAND_priv_bytes(secret, sizeof secret) != 1) {
    return fail(Errc::Internal, "the random generator failed", "RAND_priv_bytes");
  }
  char text[2 * kMasterSecretBytes + 1];
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < kMasterSecretBytes; ++i) {
    text[2 * i] = kDigits[secret[i] >> 4];
    text[2 * i + 1] = kDigits[secret[i] & 0x0F];
  }
  text[2 * kMasterSecretBytes] = '\n';
  ::OPENSSL_cleanse(secret, sizeof secret);

  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    ::OPENSSL_cleanse(text, sizeof text);
    if (err == EEXIST) {
      return fail(Errc::AlreadyExists, "the master secret file " + file.string() + " already exists");
    }
    return fail(Errc::FailedPrecondition, "cannot create the master secret file " + file.string(),
                errno_text(err));
  }
  Status status = ok();
  if (::fchmod(fd, 0600) != 0) {  // the umask may have narrowed it further; never widened
    status = fail(Errc::Internal, "cannot set the master secret file mode", errno_text(errno));
  }
  std::size_t written = 0;
  while (status && written < sizeof text) {
    ssize_t n = ::write(fd, text + written, sizeof text - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      status = fail(Errc::Internal, "cannot write the master secret file", errno_text(errno));
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ::OPENSSL_cleanse(text, sizeof text);
  if (status && ::fsync(fd) != 0) {
    status = fail(Errc::Internal, "cannot sync the master secret file", errno_text(errno));
  }
  if (::close(fd) != 0 && status) {
    status = fail(Errc::Internal, "cannot close the master secret file", errno_text(errno));
  }
  if (!status) {
    ::unlink(file.c_str());  // never leave a half-written secret behind
  }
  return status;
}

Result<SecureBytes> load_master_secret(const std::filesystem::path& file) {
  if (const char* env = std::getenv(kMasterSecretEnv); env != nullptr && env[0] != '\0') {
    return parse_secret(env, std::strlen(env), std::string("$") + kMasterSecretEnv);
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return fail(Errc::NotFound,
                  "no master secret: set $" + std::string(kMasterSecretEnv) + " or create " +
                      file.string());
    }
    return fail(Errc::FailedPrecondition, "cannot open the master secret file " + file.string(),
                errno_text(err));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }  // read-only descriptor: close cannot lose data
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(Errc::FailedPrecondition, "cannot stat the master secret file " + file.string(),
                errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::FailedPrecondition,
                "the master secret file " + file.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return fail(Errc::FailedPrecondition,
                "the master secret file " + file.string() +
                    " is readable or writable by group or others; run: chmod 600 " + file.string());
  }
  if (st.st_uid != ::geteuid()) {
    log::warn("the master secret file " + file.string() + " is owned by another user");
  }
  char buffer[kMaxSecretFileBytes];
  std::size_t size = 0;
  while (size < sizeof buffer) {
    ssize_t n = ::read(fd, buffer + size, sizeof buffer - size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int err = errno;
      ::OPENSSL_cleanse(buffer, sizeof buffer);
      return fail(Errc::FailedPrecondition, "cannot read the master secret file " + file.string(),
                  errno_text(err));
    }
    if (n == 0) {
      break;
    }
    size += static_cast<std::size_t>(n);
  }
  if (size == sizeof buffer) {
    ::OPENSSL_cleanse(buffer, sizeof buffer);
    return fail(Errc::FailedPrecondition,
                "the master secret file " + file.string() + " is too large (at most 4 KiB)");
  }
  auto secret = parse_secret(buffer, size, file.string());
  ::OPENSSL_cleanse(buffer, sizeof buffer);
  return secret;
}

}  // namespace fleetpki::keys
