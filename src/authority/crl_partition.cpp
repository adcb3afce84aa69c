#include "authority/crl_partition.h"

#include <charconv>
#include <vector>

namespace fleetpki::authority {

int crl_partition_for_serial(ByteView serial, int partitions) {
  if (partitions <= 1 || serial.empty()) return 0;
  // Serials are 16 CSPRNG octets: the first one is uniformly distributed.
  return static_cast<int>(serial[0] % static_cast<unsigned>(partitions));
}

std::string crl_path(std::string_view tenant, std::string_view ca, int partition, bool delta) {
  std::string path = "/crl/";
  path.append(tenant).append("/").append(ca);
  if (partition > 0) path.append(".p").append(std::to_string(partition));
  path.append(delta ? ".delta.crl" : ".crl");
  return path;
}

std::optional<CrlFileName> parse_crl_file_name(std::string_view file) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t dot = file.find('.', start);
    parts.push_back(file.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // <ca> [.p<k>] [.delta] .crl
  if (parts.size() < 2 || parts.size() > 4 || parts.back() != "crl" || parts.front().empty()) return std::nullopt;
  for (char c : parts.front()) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  }
  CrlFileName parsed;
  parsed.ca = std::string(parts.front());
  std::size_t i = 1;
  if (i + 1 < parts.size() && parts[i].size() >= 2 && parts[i][0] == 'p') {
    std::string_view digits = parts[i].substr(1);
    int k = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits[0] == '0' || k < 1 ||
        k >= kMaxCrlPartitions) {
      return std::nullopt;
    }
    parsed.partition = k;
    ++i;
  }
  if (i + 1 < parts.size() && parts[i] == "delta") {
    parsed.delta = true;
    ++i;
  }
  if (i + 1 != parts.size()) return std::nullopt;
  return parsed;
}

}  // namespace fleetpki::authority
