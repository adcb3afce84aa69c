// `fleetpki devices …` on the data folder (no server needed):
//   fleetpki devices import --data DIR [--tenant T] --file F.csv [--type TYPE]
//   fleetpki devices list   --data DIR [--tenant T] [--state S] [--type TYPE] [--json]
//   fleetpki devices otp|grant-renewal …  (EST enrollment credentials: enrollment_commands.cpp)
// import prints "accepted N", then one line per rejected row ("line L: SERIAL: REASON"); it exits 0
// when the file was processed, even with rejected rows, and 1 when nothing could be processed.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "authority/device_registry.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"
#include "common/time_format.h"

namespace fleetpki::cli {
namespace {

struct ImportOptions {
  std::string dir;
  std::string tenant = "default";
  std::string file;
  std::string type;
};

Result<std::string> read_csv(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(Errc::NotFound, "cannot read " + path + ": " + ec.message());
  if (size > authority::kCliImportLimits.max_bytes) {
    return fail(Errc::ResourceExhausted, path + " exceeds " + std::to_string(authority::kCliImportLimits.max_bytes) +
                                             " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::NotFound, "cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int import_devices(const ImportOptions& opt) {
  auto csv = read_csv(opt.file);
  if (!csv) return report_failure(csv.error());
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  std::optional<std::string> type;
  if (!opt.type.empty()) type = opt.type;
  auto report = (*rt)->authority->devices().import_csv(local_operator(), opt.tenant, *csv, type,
                                                       authority::kCliImportLimits, {"cli"});
  if (!report) return report_failure(report.error());
  std::cout << "accepted " << report->accepted << "\n";
  for (const auto& r : report->rejected) {
    std::cout << "line " << r.line << ": " << (r.serial.empty() ? "(empty)" : r.serial) << ": " << r.reason << "\n";
  }
  std::cout << "rejected " << report->rejected.size() << "\n";
  return kExitOk;
}

struct ListOptions {
  std::string dir;
  std::string tenant = "default";
  std::string state;
  std::string type;
  bool json = false;
};

int list_devices(const ListOptions& opt) {
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  authority::DeviceListQuery query;
  query.limit = 1000;
  if (!opt.state.empty()) query.state = opt.state;
  if (!opt.type.empty()) query.type = opt.type;
  for (;;) {
    auto page = (*rt)->authority->devices().list(local_operator(), opt.tenant, query);
    if (!page) return report_failure(page.error());
    for (const auto& d : page->items) {
      const std::string seen = d.last_seen_at ? format_rfc3339(*d.last_seen_at) : "-";
      if (opt.json) {
        std::cout << nlohmann::json{{"serial", d.serial}, {"type", d.type}, {"state", d.state}, {"last_seen_at", seen}}
                         .dump()
                  << "\n";
      } else {
        std::cout << d.serial << "  " << d.type << "  " << d.state << "  " << seen << "\n";
      }
    }
    if (!page->next_after_id) break;
    query.after_id = page->next_after_id;
  }
  return kExitOk;
}

}  // namespace

void add_device_commands(CLI::App& app, std::function<int()>& run) {
  auto* devices = app.add_subcommand("devices", "Device registry of a tenant");
  devices->require_subcommand(1);

  auto* import = devices->add_subcommand("import", "Register devices from a CSV file (header: serial[,type])");
  auto iopt = std::make_shared<ImportOptions>();
  import->add_option("--data", iopt->dir, "Data folder")->required();
  import->add_option("--tenant", iopt->tenant, "Tenant")->capture_default_str();
  import->add_option("--file", iopt->file, "CSV file (at most 1,000,000 rows, 64 MiB)")->required();
  import->add_option("--type", iopt->type, "Device type of rows without one (default: default)");
  import->callback([&run, iopt] { run = [iopt] { return import_devices(*iopt); }; });

  auto* list = devices->add_subcommand("list", "List devices");
  auto lopt = std::make_shared<ListOptions>();
  list->add_option("--data", lopt->dir, "Data folder")->required();
  list->add_option("--tenant", lopt->tenant, "Tenant")->capture_default_str();
  list->add_option("--state", lopt->state, "registered, provisioned, active, suspended or decommissioned");
  list->add_option("--type", lopt->type, "Only this device type");
  list->add_flag("--json", lopt->json, "One JSON object per line");
  list->callback([&run, lopt] { run = [lopt] { return list_devices(*lopt); }; });

  add_device_enrollment_commands(*devices, run);  // otp, grant-renewal (enrollment_commands.cpp)
}

}  // namespace fleetpki::cli
