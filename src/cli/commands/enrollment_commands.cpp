// EST enrollment administration on the data folder (issue #5; operator at the console, no server
// needed):
//   fleetpki est-endpoint create  --data DIR [--tenant T] --label L [--definition JSON|@FILE]
//   fleetpki est-endpoint list    --data DIR [--tenant T] [--json]
//   fleetpki est-endpoint show    --data DIR [--tenant T] --label L
//   fleetpki est-endpoint update  --data DIR [--tenant T] --label L --definition JSON|@FILE
//   fleetpki est-endpoint disable --data DIR [--tenant T] --label L
//   fleetpki est-endpoint enable  --data DIR [--tenant T] --label L
//   fleetpki est-endpoint crl     --data DIR [--tenant T] --label L [--file CRL]   (upload; list without)
//   fleetpki enrollments list     --data DIR [--tenant T] [--state pending|issued|rejected] [--json]
//   fleetpki enrollments approve  --data DIR [--tenant T] --id N
//   fleetpki enrollments reject   --data DIR [--tenant T] --id N [--reason R]
//   fleetpki devices otp          --data DIR [--tenant T] --serial S [--expires-in SECONDS]
//   fleetpki devices grant-renewal --data DIR [--tenant T] --serial S [--expires-in SECONDS]
// The definition is the JSON policy of an endpoint (authority/enrollment_endpoint.h); a "label"
// member, if any, must equal --label. Endpoints are printed as the REST API shows them.
// `devices otp` prints only the one-time password (shown once), or a JSON object with --json.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "authority/enrollment_admin.h"
#include "authority/outside_crl.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"
#include "common/time_format.h"
#include "server/api_v1/enrollment_json.h"

namespace fleetpki::cli {
namespace {

using nlohmann::json;

constexpr int kDefaultOtpSeconds = 86400;
constexpr int kDefaultGrantSeconds = 7 * 86400;
constexpr int kMaxCredentialSeconds = static_cast<int>(authority::kMaxEnrollmentCredentialTtl.count());

struct Options {
  std::string dir;
  std::string tenant = "default";
  std::string label;
  std::string definition;
  std::string state;
  std::string reason;
  std::string serial;
  std::string file;
  std::int64_t id = 0;
  int expires_in = 0;
  bool json = false;
};

/// --definition: inline JSON, or @FILE. A "label" member must name the endpoint being written.
Result<authority::EndpointSpec> read_spec(const Options& opt) {
  std::string text = opt.definition;
  if (text.empty()) return authority::EndpointSpec{};
  if (text.front() == '@') {
    FLEETPKI_TRY(text, read_file(text.substr(1), authority::kMaxEndpointJson));
  }
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return fail(Errc::InvalidArgument, "--definition must be a JSON object (or @FILE holding one)");
  }
  if (auto it = body.find("label"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>() != opt.label) {
      return fail(Errc::InvalidArgument, "the definition's label differs from --label");
    }
    body.erase("label");
  }
  return authority::EndpointSpec::from_json(body.dump());
}

int print_endpoint(const Result<authority::EndpointView>& view, const Options& opt) {
  if (!view) return report_failure(view.error());
  std::cout << server::api_v1::endpoint_json(*view, opt.tenant).dump(2) << "\n";
  return kExitOk;
}

int endpoint_action(const Options& opt, std::string_view action) {
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  auto& admin = (*rt)->authority->enrollment_admin();
  const auto who = local_operator();
  const authority::CallContext call{"cli"};
  if (action == "list") {
    std::int64_t after = 0;
    while (true) {
      auto page = admin.list_endpoints(who, opt.tenant, after, 1000);
      if (!page) return report_failure(page.error());
      for (const auto& view : page->items) {
        if (opt.json) {
          std::cout << server::api_v1::endpoint_json(view, opt.tenant).dump() << "\n";
          continue;
        }
        std::string auth;
        for (auto mode : view.spec.auth) {
          auth += (auth.empty() ? "" : ",") + std::string(authority::est_auth_mode_name(mode));
        }
        std::cout << view.record.label << "  " << (view.record.disabled ? "disabled" : "enabled") << "  profile="
                  << view.spec.profile << "  auth=" << auth << "  approval="
                  << authority::est_approval_name(view.spec.approval) << "\n";
      }
      if (!page->next_after) return kExitOk;
      after = *page->next_after;
    }
  }
  if (action == "show") return print_endpoint(admin.get_endpoint(who, opt.tenant, opt.label), opt);
  if (action == "crl") {
    // With --file: upload (DER or PEM; no 64 KiB body limit here); without: the stored CRLs.
    if (!opt.file.empty()) {
      auto bytes = read_file(opt.file, authority::kMaxOutsideCrlBytes * 2);
      if (!bytes) return report_failure(bytes.error());
      auto view = admin.put_endpoint_crl(who, opt.tenant, opt.label, as_bytes(*bytes), call);
      if (!view) return report_failure(view.error());
      std::cout << server::api_v1::endpoint_crl_json(*view).dump(2) << "\n";
      return kExitOk;
    }
    auto crls = admin.list_endpoint_crls(who, opt.tenant, opt.label);
    if (!crls) return report_failure(crls.error());
    for (const auto& view : *crls) std::cout << server::api_v1::endpoint_crl_json(view).dump() << "\n";
    return kExitOk;
  }
  if (action == "disable" || action == "enable") {
    return print_endpoint(admin.set_endpoint_disabled(who, opt.tenant, opt.label, action == "disable", call), opt);
  }
  auto spec = read_spec(opt);
  if (!spec) return report_failure(spec.error());
  if (action == "create") return print_endpoint(admin.create_endpoint(who, opt.tenant, opt.label, *spec, call), opt);
  return print_endpoint(admin.update_endpoint(who, opt.tenant, opt.label, *spec, call), opt);
}

int enrollment_action(const Options& opt, std::string_view action) {
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  auto& admin = (*rt)->authority->enrollment_admin();
  const auto who = local_operator();
  const authority::CallContext call{"cli"};
  if (action == "list") {
    std::optional<std::string> state;
    if (!opt.state.empty()) state = opt.state;
    std::int64_t after = 0;
    while (true) {
      auto page = admin.list_requests(who, opt.tenant, state, after, 1000);
      if (!page) return report_failure(page.error());
      for (const auto& r : page->items) {
        if (opt.json) {
          std::cout << server::api_v1::enrollment_request_json(r).dump() << "\n";
        } else {
          std::cout << r.id << "  " << r.state << "  " << r.endpoint_label << "  " << r.device_serial << "  "
                    << r.auth_mode << "  " << format_rfc3339(r.created_at) << "\n";
        }
      }
      if (!page->next_after) return kExitOk;
      after = *page->next_after;
    }
  }
  if (action == "approve") {
    auto r = admin.approve_request(who, opt.tenant, opt.id, call);
    if (!r) return report_failure(r.error());
    std::cout << "issued " << r->certificate_serial.value_or("") << "\n";
    return kExitOk;
  }
  auto r = admin.reject_request(who, opt.tenant, opt.id, opt.reason, call);
  if (!r) return report_failure(r.error());
  std::cout << "rejected " << r->id << "\n";
  return kExitOk;
}

int device_credential_action(const Options& opt, std::string_view action) {
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  auto& admin = (*rt)->authority->enrollment_admin();
  const authority::CallContext call{"cli"};
  if (action == "otp") {
    const std::chrono::seconds ttl(opt.expires_in != 0 ? opt.expires_in : kDefaultOtpSeconds);
    auto otp = admin.create_otp(local_operator(), opt.tenant, opt.serial, ttl, call);
    if (!otp) return report_failure(otp.error());
    if (opt.json) {
      std::cout << json{{"device_serial", otp->record.device_serial},
                        {"otp", otp->otp},
                        {"expires_at", format_rfc3339(otp->record.expires_at)}}
                       .dump()
                << "\n";
    } else {
      std::cout << otp->otp << "\n";
    }
    return kExitOk;
  }
  const std::chrono::seconds ttl(opt.expires_in != 0 ? opt.expires_in : kDefaultGrantSeconds);
  auto grant = admin.grant_renewal(local_operator(), opt.tenant, opt.serial, ttl, call);
  if (!grant) return report_failure(grant.error());
  std::cout << "granted " << grant->device_serial << " until " << format_rfc3339(grant->expires_at) << "\n";
  return kExitOk;
}

using Action = int (*)(const Options&, std::string_view);

struct Leaf {
  CLI::App& cmd;
  std::shared_ptr<Options> opt;
};

/// One leaf command with --data and --tenant; the caller adds its other options.
Leaf add_leaf(CLI::App& parent, std::function<int()>& run, const char* name, const char* help, Action action) {
  auto* cmd = parent.add_subcommand(name, help);
  auto opt = std::make_shared<Options>();
  cmd->add_option("--data", opt->dir, "Data folder")->required();
  cmd->add_option("--tenant", opt->tenant, "Tenant")->capture_default_str();
  cmd->callback([&run, opt, name, action] { run = [opt, name, action] { return action(*opt, name); }; });
  return {*cmd, opt};
}

}  // namespace

void add_enrollment_commands(CLI::App& app, std::function<int()>& run) {
  auto* endpoints = app.add_subcommand("est-endpoint", "EST enrollment endpoints: /.well-known/est/<label>/");
  endpoints->require_subcommand(1);
  struct Spec {
    const char* name;
    const char* help;
  };
  for (const Spec& s : {Spec{"create", "Create an endpoint (policy from --definition, else the defaults)"},
                        Spec{"list", "List the tenant's endpoints"}, Spec{"show", "Show one endpoint"},
                        Spec{"update", "Replace an endpoint's policy"},
                        Spec{"disable", "Disable an endpoint (its EST paths answer 404)"},
                        Spec{"enable", "Enable an endpoint again"},
                        Spec{"crl", "Upload the CRL of an outside trust anchor (--file), or list the stored ones"}}) {
    auto [cmd, opt] = add_leaf(*endpoints, run, s.name, s.help, endpoint_action);
    const std::string_view n = s.name;
    if (n == "list") {
      cmd.add_flag("--json", opt->json, "One JSON object per line");
      continue;
    }
    cmd.add_option("--label", opt->label, "Endpoint label")->required();
    if (n == "crl") cmd.add_option("--file", opt->file, "CRL file (DER or PEM) to upload");
    if (n == "create" || n == "update") {
      auto* def = cmd.add_option("--definition", opt->definition, "Policy as JSON, or @FILE");
      if (n == "update") def->required();
    }
  }

  auto* enrollments = app.add_subcommand("enrollments", "Enrollments held for an operator's approval");
  enrollments->require_subcommand(1);
  {
    auto [cmd, opt] = add_leaf(*enrollments, run, "list", "List held enrollments, oldest first", enrollment_action);
    cmd.add_option("--state", opt->state, "pending, issued or rejected");
    cmd.add_flag("--json", opt->json, "One JSON object per line (with the CSR as PEM)");
  }
  {
    auto [cmd, opt] =
        add_leaf(*enrollments, run, "approve", "Issue a held enrollment's certificate", enrollment_action);
    cmd.add_option("--id", opt->id, "Request id")->required()->check(CLI::PositiveNumber);
  }
  {
    auto [cmd, opt] = add_leaf(*enrollments, run, "reject", "Refuse a held enrollment", enrollment_action);
    cmd.add_option("--id", opt->id, "Request id")->required()->check(CLI::PositiveNumber);
    cmd.add_option("--reason", opt->reason, "Why (at most 512 bytes)");
  }
}

void add_device_enrollment_commands(CLI::App& devices, std::function<int()>& run) {
  for (const char* name : {"otp", "grant-renewal"}) {
    const bool otp = std::string_view(name) == "otp";
    auto [cmd, opt] = add_leaf(devices, run, name,
                               otp ? "A one-time password for the device's EST enrollment (HTTP Basic; shown once)"
                                   : "Allow the device one re-enroll outside its profile's renewal window",
                               device_credential_action);
    cmd.add_option("--serial", opt->serial, "Device serial")->required();
    cmd.add_option("--expires-in", opt->expires_in,
                   otp ? "Validity in seconds (default 86400)" : "Validity in seconds (default 604800)")
        ->check(CLI::Range(1, kMaxCredentialSeconds));
    if (otp) cmd.add_flag("--json", opt->json, "Print {device_serial, otp, expires_at} as JSON");
  }
}

}  // namespace fleetpki::cli
