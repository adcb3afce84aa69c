// `fleetpki audit verify|export|checkpoint`.
#include <fstream>
#include <iostream>

#include "authority/audit_log.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/commands/serve_services.h"
#include "cli/data_dir.h"

namespace fleetpki::cli {
namespace {

int verify(const std::string& dir) {
  auto rt = open_runtime(dir);
  if (!rt) return report_failure(rt.error());
  auto pinned = read_pinned_audit_key(**rt);
  if (!pinned) return report_failure(pinned.error());
  std::optional<ByteView> pin;
  if (!pinned->empty()) pin = ByteView(*pinned);
  auto report = (*rt)->authority->audit().verify(pin);
  if (!report) {
    if (report.error().code == Errc::DataLoss) {
      std::cerr << "fleetpki: audit log broken: " << report.error().message << "\n";
      return kExitFailure;
    }
    return report_failure(report.error());
  }
  std::cout << "audit log intact: " << report->events << " events, " << report->checkpoints << " checkpoints, ";
  if (report->last_checkpoint_event) {
    std::cout << "last checkpoint at event " << *report->last_checkpoint_event << "\n";
  } else {
    std::cout << "no checkpoint yet\n";
  }
  return kExitOk;
}

int checkpoint(const std::string& dir) {
  auto rt = open_runtime(dir);
  if (!rt) return report_failure(rt.error());
  if (auto pinned = ensure_pinned_audit_key(**rt); !pinned) return report_failure(pinned.error());
  auto made = (*rt)->authority->audit().checkpoint();
  if (!made) return report_failure(made.error());
  if (!*made) {
    std::cout << "no new audit events since the last checkpoint\n";
  } else {
    std::cout << "checkpoint " << (*made)->id << " at event " << (*made)->last_event_id << " ("
              << (*made)->event_count << " events)\n";
  }
  return kExitOk;
}

int export_events(const std::string& dir, const std::optional<std::string>& tenant, std::int64_t after,
                  const std::string& out_path) {
  auto rt = open_runtime(dir);
  if (!rt) return report_failure(rt.error());
  std::ofstream file;
  if (!out_path.empty()) {
    file.open(out_path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file) return report_failure(Error{Errc::Unavailable, "cannot write " + out_path, {}});
  }
  std::ostream& out = out_path.empty() ? std::cout : file;
  store::AuditFilter filter;
  filter.after_id = after;
  Status done = (*rt)->authority->audit().export_lines(local_operator(), tenant, filter,
                                                        [&out, &out_path](const std::string& line) -> Status {
                                                          out << line << '\n';
                                                          if (!out) return fail(Errc::Unavailable, "cannot write " + (out_path.empty() ? std::string("stdout") : out_path));
                                                          return ok();
                                                        });
  if (!done) return report_failure(done.error());
  out.flush();
  if (!out) return report_failure(Error{Errc::Unavailable, "cannot write the export", {}});
  return kExitOk;
}

}  // namespace

void add_audit_commands(CLI::App& app, std::function<int()>& run) {
  auto* audit = app.add_subcommand("audit", "Verify, checkpoint and export the tamper-evident audit log");
  audit->require_subcommand(1);

  auto* verify_cmd = audit->add_subcommand(
      "verify", "Recompute the hash chain and check the signed checkpoints with the pinned key (DIR/audit-key.pem)");
  auto verify_dir = std::make_shared<std::string>();
  verify_cmd->add_option("--data", *verify_dir, "Data folder")->required();
  verify_cmd->callback([&run, verify_dir] { run = [verify_dir] { return verify(*verify_dir); }; });

  auto* checkpoint_cmd = audit->add_subcommand(
      "checkpoint", "Sign a checkpoint over the newest event (creates and pins the audit key on first use)");
  auto checkpoint_dir = std::make_shared<std::string>();
  checkpoint_cmd->add_option("--data", *checkpoint_dir, "Data folder")->required();
  checkpoint_cmd->callback([&run, checkpoint_dir] { run = [checkpoint_dir] { return checkpoint(*checkpoint_dir); }; });

  auto* export_cmd = audit->add_subcommand("export", "Write audit events as JSON lines");
  auto export_dir = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>();
  auto after = std::make_shared<std::int64_t>(0);
  auto out = std::make_shared<std::string>();
  export_cmd->add_option("--data", *export_dir, "Data folder")->required();
  export_cmd->add_option("--tenant", *tenant, "Only this tenant's events (default: every event)");
  export_cmd->add_option("--after", *after, "Only events with a larger id (resume an export)")
      ->check(CLI::NonNegativeNumber);
  export_cmd->add_option("--out", *out, "Output file (default: stdout)");
  export_cmd->callback([&run, export_dir, tenant, after, out] {
    run = [export_dir, tenant, after, out] {
      std::optional<std::string> scope;
      if (!tenant->empty()) scope = *tenant;
      return export_events(*export_dir, scope, *after, *out);
    };
  });
}

}  // namespace fleetpki::cli
