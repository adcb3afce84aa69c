// CRL scopes: which partition (shard) a certificate's revocation is published in, and the URLs.
//
// A CA with N partitions puts each certificate in partition serial[0] mod N, chosen at issuance and
// written into the certificate's CRL distribution point; each partition is its own CRL scope with
// its own number sequence and an issuingDistributionPoint naming the same URL byte for byte.
//
//   partition 0, complete: <base>/crl/<tenant>/<ca>.crl        delta: <base>/crl/<tenant>/<ca>.delta.crl
//   partition k > 0:       <base>/crl/<tenant>/<ca>.p<k>.crl           <base>/crl/<tenant>/<ca>.p<k>.delta.crl
//
// Partition 0 keeps the URL of an unpartitioned CA, so raising N later never orphans a URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace fleetpki::authority {

inline constexpr int kMaxCrlPartitions = 256;

/// The partition of a certificate with this serial (magnitude octets) in a CA with `partitions`.
int crl_partition_for_serial(ByteView serial, int partitions);

/// "/crl/<tenant>/<file>" path of a CRL scope (no base URL).
std::string crl_path(std::string_view tenant, std::string_view ca, int partition, bool delta);

/// The parts of a CRL file name ("<ca>.crl", "<ca>.p3.delta.crl"); nullopt when malformed.
/// CA names never contain '.', so the parse is unambiguous.
struct CrlFileName {
  std::string ca;
  int partition = 0;
  bool delta = false;
};
std::optional<CrlFileName> parse_crl_file_name(std::string_view file);

}  // namespace fleetpki::authority
