#include "authority/default_profiles.h"

namespace fleetpki::authority {

std::vector<Profile> default_profiles() {
  std::vector<Profile> out;

  Profile tls_server;
  tls_server.name = "tls-server";
  tls_server.ca = kIssuingCa;
  tls_server.validity_days = 397;  // CA/B Forum maximum for TLS server certificates
  tls_server.key_usage = {"digitalSignature"};
  tls_server.rsa_key_encipherment = true;
  tls_server.ext_key_usage = {"serverAuth"};
  tls_server.subject_allowed = {"CN", "O"};
  tls_server.san = {.dns = true, .ip = true, .uri = false, .email = false, .required = true, .cn_as_dns = true};
  out.push_back(tls_server);

  Profile tls_client;
  tls_client.name = "tls-client";
  tls_client.ca = kIssuingCa;
  tls_client.validity_days = 365;
  tls_client.key_usage = {"digitalSignature"};
  tls_client.ext_key_usage = {"clientAuth"};
  tls_client.subject_allowed = {"CN", "O", "OU"};
  tls_client.subject_required = {"CN"};
  tls_client.san = {.dns = true, .ip = false, .uri = true, .email = true, .required = false, .cn_as_dns = false};
  out.push_back(tls_client);

  Profile code_signing;
  code_signing.name = "code-signing";
  code_signing.ca = kIssuingCa;
  code_signing.validity_days = 1095;
  code_signing.key_usage = {"digitalSignature"};
  code_signing.ext_key_usage = {"codeSigning"};
  code_signing.subject_allowed = {"CN", "O", "OU"};
  code_signing.subject_required = {"CN"};
  out.push_back(code_signing);

  // IEEE 802.1AR: DevID end-entity certificates carry no SKI; IDevIDs never expire.
  Profile ldevid;
  ldevid.name = "ldevid";
  ldevid.ca = kIssuingCa;
  ldevid.validity_days = 365;
  ldevid.key_usage = {"digitalSignature"};
  ldevid.ext_key_usage = {"clientAuth", "serverAuth"};
  ldevid.subject_key_id = false;
  ldevid.subject_allowed = {"CN", "O", "OU", "serialNumber"};
  ldevid.san = {.dns = true, .ip = false, .uri = true, .email = false, .required = false, .cn_as_dns = false};
  out.push_back(ldevid);

  Profile idevid;
  idevid.name = "idevid";
  idevid.ca = kManufacturingCa;
  idevid.validity_days = std::nullopt;  // 99991231235959Z
  idevid.key_usage = {"digitalSignature"};
  idevid.subject_key_id = false;
  idevid.subject_allowed = {"CN", "O", "OU", "serialNumber"};
  idevid.subject_required = {"serialNumber"};
  idevid.san = {.dns = false, .ip = false, .uri = true, .email = false, .required = false, .cn_as_dns = false};
  out.push_back(idevid);

  return out;
}

}  // namespace fleetpki::authority
