// Certificate lifecycle on the data folder (operator at the console, no server needed):
//   fleetpki revoke     --data DIR [--tenant T] --serial S [--reason R]
//   fleetpki suspend    --data DIR [--tenant T] --serial S
//   fleetpki reactivate --data DIR [--tenant T] --serial S
//   fleetpki certificates list --data DIR [--tenant T] [--expires-before TIME] [--status S] [--json]
// A running server sees these changes through the status change log (CRL and OCSP within ~1 s).
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"
#include "common/time_format.h"
#include "pki/crl.h"

namespace fleetpki::cli {
namespace {

struct LifecycleOptions {
  std::string dir;
  std::string tenant = "default";
  std::string serial;
  std::string reason = "unspecified";
};

int change_status(const LifecycleOptions& opt, std::string_view action) {
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  auto& authority = *(*rt)->authority;
  const authority::CallContext call{"cli"};
  Result<store::CertificateRecord> changed = fail(Errc::Internal, "unreachable");
  if (action == "revoke") {
    auto reason = pki::parse_crl_reason(opt.reason);
    if (!reason) return report_failure(reason.error());
    changed = authority.revoke(local_operator(), opt.tenant, opt.serial, *reason, std::nullopt, call);
  } else if (action == "suspend") {
    changed = authority.suspend(local_operator(), opt.tenant, opt.serial, call);
  } else {
    changed = authority.reactivate(local_operator(), opt.tenant, opt.serial, call);
  }
  if (!changed) return report_failure(changed.error());
  std::cout << changed->serial_hex << " " << changed->status << "\n";
  return kExitOk;
}

void add_status_command(CLI::App& app, std::function<int()>& run, const char* name, const char* help) {
  auto* cmd = app.add_subcommand(name, help);
  auto opt = std::make_shared<LifecycleOptions>();
  cmd->add_option("--data", opt->dir, "Data folder")->required();
  cmd->add_option("--tenant", opt->tenant, "Tenant")->capture_default_str();
  cmd->add_option("--serial", opt->serial, "Certificate serial (hex)")->required();
  if (std::string_view(name) == "revoke") {
    cmd->add_option("--reason", opt->reason,
                    "RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
                    "cessationOfOperation, privilegeWithdrawn, aACompromise")
        ->capture_default_str();
  }
  cmd->callback([&run, opt, name] { run = [opt, name] { return change_status(*opt, name); }; });
}

struct ListOptions {
  std::string dir;
  std::string tenant = "default";
  std::string expires_before;
  std::string status;
  std::string profile;
  bool json = false;
};

int list_certificates(const ListOptions& opt) {
  store::CertificateFilter filter;
  if (!opt.expires_before.empty()) {
    auto t = parse_timestamp(opt.expires_before);
    if (!t) return report_failure(make_error(Errc::InvalidArgument, "--expires-before must be an RFC 3339 time or Unix seconds"));
    filter.expires_before = *t;
  }
  if (!opt.status.empty()) filter.status = opt.status;
  if (!opt.profile.empty()) filter.profile = opt.profile;
  filter.limit = 1000;
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  for (;;) {
    auto page = (*rt)->authority->list_certificates(local_operator(), opt.tenant, filter);
    if (!page) return report_failure(page.error());
    for (const auto& rec : page->items) {
      if (opt.json) {
        std::cout << nlohmann::json{{"serial", rec.serial_hex}, {"status", rec.status}, {"profile", rec.profile},
                                    {"subject", rec.subject}, {"not_after", format_rfc3339(rec.not_after)}}
                         .dump()
                  << "\n";
      } else {
        std::cout << rec.serial_hex << "  " << format_rfc3339(rec.not_after) << "  " << rec.status << "  "
                  << rec.profile << "  " << rec.subject << "\n";
      }
    }
    if (!page->next_after_id) break;
    filter.after_id = page->next_after_id;
  }
  return kExitOk;
}

}  // namespace

void add_certificate_commands(CLI::App& app, std::function<int()>& run) {
  add_status_command(app, run, "revoke", "Revoke a certificate (final)");
  add_status_command(app, run, "suspend", "Suspend a certificate (reversible hold)");
  add_status_command(app, run, "reactivate", "Reactivate a suspended certificate");

  auto* certs = app.add_subcommand("certificates", "Query certificates");
  certs->require_subcommand(1);
  auto* list = certs->add_subcommand("list", "List certificates, e.g. those expiring before a date");
  auto opt = std::make_shared<ListOptions>();
  list->add_option("--data", opt->dir, "Data folder")->required();
  list->add_option("--tenant", opt->tenant, "Tenant")->capture_default_str();
  list->add_option("--expires-before", opt->expires_before, "Only certificates expiring before this time (RFC 3339 or Unix seconds)");
  list->add_option("--status", opt->status, "valid, suspended or revoked");
  list->add_option("--profile", opt->profile, "Only this profile");
  list->add_flag("--json", opt->json, "One JSON object per line");
  list->callback([&run, opt] { run = [opt] { return list_certificates(*opt); }; });
}

}  // namespace fleetpki::cli
