#include "authority/default_profiles.h"

namespace fleetpki::authority {
namespace {

SubjectAttributeRule from_csr(std::string attribute, bool required = false) {
  return {.attribute = std::move(attribute), .source = SubjectSource::Csr, .value = {}, .required = required,
          .csr_fallback = false};
}

// The device serial from the registry; the CSR's value only when no device is named (factory
// batch issuance before registration).
SubjectAttributeRule device_serial(bool required) {
  return {.attribute = "serialNumber", .source = SubjectSource::DeviceSerial, .value = {}, .required = required,
          .csr_fallback = true};
}

SubjectAttributeRule device_attribute(std::string attribute) {
  return {.attribute = std::move(attribute), .source = SubjectSource::DeviceSerial, .value = {}, .required = false,
          .csr_fallback = true};
}

Profile ocsp_signing() {
  Profile p;
  p.name = "ocsp-signing";
  p.ca = kIssuingCa;
  p.validity_days = 30;  // RFC 6960 §4.2.2.2.1: with nocheck, keep responder certificates short-lived
  p.key_usage = {"digitalSignature"};
  p.ext_key_usage = {"ocspSigning"};
  p.ocsp_no_check = true;
  p.subject = {from_csr("CN", true), from_csr("O")};
  return p;
}

// Matter Core Specification §6.2.2 (certificate profiles of the device attestation PKI): P-256
// keys, ECDSA with SHA-256, VID/PID as UTF8String of 4 uppercase hex digits, SKI and AKI present.
Profile matter_base(std::string name) {
  Profile p;
  p.name = std::move(name);
  p.key_types = {"ec-p256"};
  p.subject_key_id = true;
  return p;
}

Profile matter_paa() {
  Profile p = matter_base("matter-paa");
  p.ca = kRootCa;
  p.validity_days = 7300;
  p.ca_certificate = true;
  p.path_len = 1;
  p.key_usage = {"keyCertSign", "cRLSign"};
  p.subject = {from_csr("CN", true), from_csr(kMatterVidOid, false)};
  return p;
}

Profile matter_pai() {
  Profile p = matter_base("matter-pai");
  p.ca = kRootCa;
  p.validity_days = 3650;
  p.ca_certificate = true;
  p.path_len = 0;
  p.key_usage = {"keyCertSign", "cRLSign"};
  p.subject = {from_csr("CN", true), from_csr(kMatterVidOid, true), from_csr(kMatterPidOid, false)};
  return p;
}

Profile matter_dac() {
  Profile p = matter_base("matter-dac");
  p.ca = kIssuingCa;
  p.validity_days = std::nullopt;  // Matter allows 99991231235959Z for DACs
  p.key_usage = {"digitalSignature"};
  p.subject = {from_csr("CN", true), from_csr(kMatterVidOid, true), from_csr(kMatterPidOid, true)};
  return p;
}

}  // namespace

std::vector<Profile> default_profiles() {
  std::vector<Profile> out;

  Profile tls_server;
  tls_server.name = "tls-server";
  tls_server.ca = kIssuingCa;
  tls_server.validity_days = 397;  // CA/B Forum maximum for TLS server certificates
  tls_server.key_usage = {"digitalSignature"};
  tls_server.rsa_key_encipherment = true;
  tls_server.ext_key_usage = {"serverAuth"};
  tls_server.subject = {from_csr("CN"), from_csr("O")};
  tls_server.san = {.dns = true, .ip = true, .uri = false, .email = false, .required = true, .cn_as_dns = true,
                    .hardware_module_type = std::nullopt};
  out.push_back(tls_server);

  Profile tls_client;
  tls_client.name = "tls-client";
  tls_client.ca = kIssuingCa;
  tls_client.validity_days = 365;
  tls_client.key_usage = {"digitalSignature"};
  tls_client.ext_key_usage = {"clientAuth"};
  tls_client.subject = {from_csr("CN", true), from_csr("O"), from_csr("OU")};
  tls_client.san = {.dns = true, .ip = false, .uri = true, .email = true, .required = false, .cn_as_dns = false,
                    .hardware_module_type = std::nullopt};
  out.push_back(tls_client);

  Profile code_signing;
  code_signing.name = "code-signing";
  code_signing.ca = kIssuingCa;
  code_signing.validity_days = 1095;
  code_signing.key_usage = {"digitalSignature"};
  code_signing.ext_key_usage = {"codeSigning"};
  code_signing.subject = {from_csr("CN", true), from_csr("O"), from_csr("OU")};
  out.push_back(code_signing);

  // IEEE 802.1AR: DevID end-entity certificates carry no SKI; IDevIDs never expire.
  Profile ldevid;
  ldevid.name = "ldevid";
  ldevid.ca = kIssuingCa;
  ldevid.validity_days = 365;
  ldevid.key_usage = {"digitalSignature"};
  ldevid.ext_key_usage = {"clientAuth", "serverAuth"};
  ldevid.subject_key_id = false;
  // The operational identity comes from the registry, not from the device's CSR (issue #5): with a
  // device named, CN and serialNumber are its registered serial, so a relying party (the broker's
  // per-device topics) can trust the CN. Without a device (factory batch) the CSR's values stay.
  ldevid.subject = {device_attribute("CN"), from_csr("O"), from_csr("OU"), device_serial(false)};
  ldevid.san = {.dns = true, .ip = false, .uri = true, .email = false, .required = false, .cn_as_dns = false,
                .hardware_module_type = std::nullopt};
  out.push_back(ldevid);

  Profile idevid;
  idevid.name = "idevid";
  idevid.ca = kManufacturingCa;
  idevid.validity_days = std::nullopt;  // 99991231235959Z (802.1AR §8.5)
  idevid.key_usage = {"digitalSignature"};
  idevid.subject_key_id = false;
  idevid.subject = {from_csr("CN"), from_csr("O"), from_csr("OU"), device_serial(true)};
  idevid.san = {.dns = false, .ip = false, .uri = true, .email = false, .required = false, .cn_as_dns = false,
                .hardware_module_type = std::nullopt};
  out.push_back(idevid);

  return out;
}

std::vector<Profile> builtin_templates() {
  std::vector<Profile> out = default_profiles();
  out.push_back(ocsp_signing());
  out.push_back(matter_paa());
  out.push_back(matter_pai());
  out.push_back(matter_dac());
  return out;
}

std::optional<Profile> builtin_template(std::string_view name) {
  for (Profile& p : builtin_templates()) {
    if (p.name == name) return std::move(p);
  }
  return std::nullopt;
}

}  // namespace fleetpki::authority
