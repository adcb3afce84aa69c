// Byte buffers: Bytes for public data, SecureBytes for secrets (zeroized on destruction).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetpki {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// Lower-case hex of `data`.
std::string to_hex(ByteView data);
/// Parses hex (either case, even length); empty optional-like result on bad input.
bool from_hex(std::string_view hex, Bytes& out);

/// Holds secret bytes; wipes them with OPENSSL_cleanse when destroyed or cleared.
class SecureBytes final {
 public:
  SecureBytes() = default;
  explicit SecureBytes(std::size_t size) : data_(size) {}
  explicit SecureBytes(ByteView data) : data_(data.begin(), data.end()) {}
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;
  SecureBytes(SecureBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecureBytes& operator=(SecureBytes&& other) noexcept;
  ~SecureBytes() { wipe(); }

  std::uint8_t* data() { return data_.data(); }
  const std::uint8_t* data() const { return data_.data(); }
  std::size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView view() const { return {data_.data(), data_.size()}; }
  void wipe();

 private:
  std::vector<std::uint8_t> data_;
};

/// Constant-time equality of two byte strings (length is not secret).
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace fleetpki
