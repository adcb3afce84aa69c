// Names of the key algorithms a KeyVault generates.
#include "keys/key_vault.h"

#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace fleetpki::keys {

std::string_view key_algorithm_name(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::EcP256: return "ec-p256";
    case KeyAlgorithm::EcP384: return "ec-p384";
    case KeyAlgorithm::Ed25519: return "ed25519";
    case KeyAlgorithm::Rsa2048: return "rsa-2048";
    case KeyAlgorithm::Rsa3072: return "rsa-3072";
    case KeyAlgorithm::Rsa4096: return "rsa-4096";
  }
  return "unknown";
}

Result<KeyAlgorithm> parse_key_algorithm(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static constexpr std::array<std::pair<std::string_view, KeyAlgorithm>, 12> kNames = {{
      {"ec-p256", KeyAlgorithm::EcP256},   {"p256", KeyAlgorithm::EcP256},
      {"ec-p384", KeyAlgorithm::EcP384},   {"p384", KeyAlgorithm::EcP384},
      {"ed25519", KeyAlgorithm::Ed25519},  {"rsa-2048", KeyAlgorithm::Rsa2048},
      {"rsa2048", KeyAlgorithm::Rsa2048},  {"rsa-3072", KeyAlgorithm::Rsa3072},
      {"rsa3072", KeyAlgorithm::Rsa3072},  {"ec-p-256", KeyAlgorithm::EcP256},
      {"rsa-4096", KeyAlgorithm::Rsa4096}, {"rsa4096", KeyAlgorithm::Rsa4096},
  }};
  for (const auto& [known, algorithm] : kNames) {
    if (lower == known) {
      return algorithm;
    }
  }
  return fail(Errc::InvalidArgument, "unknown key algorithm '" + std::string(name) +
                                         "' (use ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072 or rsa-4096)");
}

}  // namespace fleetpki::keys
