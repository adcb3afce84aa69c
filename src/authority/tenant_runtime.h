// In-memory view of one tenant for the issuance path: CAs with their signers and the profiles in
// force with their pre-encoded TBS templates. Built once, shared read-only between threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authority/profile.h"
#include "keys/signer.h"
#include "pki/certificate.h"
#include "pki/name_constraints.h"
#include "pki/tbs_template.h"
#include "store/records.h"

namespace fleetpki::authority {

struct CaRuntime {
  store::CaRecord record;
  std::string tenant_name;
  pki::CertificatePtr certificate;
  keys::SignerPtr signer;
  std::string chain_pem;  // this CA's certificate, then its parents up to the root
  /// The operator's name constraints on this CA (also written into its certificate): the CA
  /// refuses to sign names outside them.
  std::optional<pki::NameConstraints> name_constraints;
};

struct ProfileRuntime {
  Profile profile;
  std::shared_ptr<const CaRuntime> ca;  // null when retired
  /// Per CRL partition of the CA (index = partition; each has its own CDP URL), for EC/Ed25519
  /// subject keys and for RSA subject keys (keyUsage may differ).
  std::vector<pki::TbsTemplate> tbs;
  std::vector<pki::TbsTemplate> tbs_rsa;
  /// Every version is retired: kept so that issuance answers "retired" (409), not "not found";
  /// no TBS templates.
  bool retired = false;
};

struct TenantRuntime {
  store::TenantRecord tenant;
  std::map<std::string, std::shared_ptr<const CaRuntime>, std::less<>> cas;
  /// The version in force of every profile name (highest non-retired), or a retired marker.
  std::map<std::string, std::shared_ptr<const ProfileRuntime>, std::less<>> profiles;
};

}  // namespace fleetpki::authority
