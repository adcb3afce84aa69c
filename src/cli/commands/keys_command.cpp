// `fleetpki keys list --data DIR [--json]` and `fleetpki keys migrate-to-token --data DIR
// [--pkcs11-token LABEL] [--pkcs11-module PATH] [--pkcs11-pin-file FILE] [--tenant NAME]
// [--dry-run] [--remove-software-keys]` (PIN also from FLEETPKI_PKCS11_PIN). The logic is in
// key_migration.cpp.
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands/commands.h"
#include "cli/commands/key_migration.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"
#include "keys/pkcs11/pkcs11_key_vault.h"

namespace fleetpki::cli {
namespace {

constexpr const char* kMigrateFooter = R"(
fleetpki keys migrate-to-token --data DIR --pkcs11-token LABEL [--pkcs11-module PATH]
    [--pkcs11-pin-file FILE] [--tenant NAME] [--dry-run] [--remove-software-keys]

Moves every CA key held in the software vault (DIR/keys/*.p8) of every tenant (or of --tenant),
the delegated OCSP responder keys and the platform audit key (not with --tenant) into the token,
then points the database and DIR/config.json at the token: every later command and `serve` signs
there (the PIN comes from the PIN file recorded in config.json or $FLEETPKI_PKCS11_PIN). The
server's TLS key stays a software key. Keys keep their labels as token object labels and become
sensitive, non-extractable, sign-only objects; each is checked by a signature and against its
certificate's public key. Ed25519 keys cannot be imported: refused, nothing changed.
A folder already on a token keeps it: the flags may be omitted and a different token is refused.
Safe to run again: keys already imported by an interrupted run are reused, a finished migration
is a no-op. Stop `serve` first and restart it afterwards. Exit 0 done, 1 failure, 2 usage.)";

std::string tenant_column(const StoredKeyRef& key) {
  return key.tenant_id ? key.tenant : "-";
}

int list_keys(const std::string& dir, bool json) {
  auto store = open_folder_store(dir);
  if (!store) return report_failure(store.error());
  const pki::CryptoContext crypto;
  auto stored = list_stored_key_refs(dir, **store, crypto);
  if (!stored) return report_failure(stored.error());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& key : *stored) {
      out.push_back(
          {{"tenant", key.tenant_id ? nlohmann::json(key.tenant) : nlohmann::json(nullptr)},
           {"owner", key.owner},
           {"name", key.name},
           {"backend", key.backend()},
           {"reference", key.ref}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::size_t tenant_width = 6, name_width = 4;
  for (const auto& key : *stored) {
    tenant_width = std::max(tenant_width, tenant_column(key).size());
    name_width = std::max(name_width, key.name.size());
  }
  auto row = [&](const std::string& tenant, const std::string& owner, const std::string& name,
                 const std::string& backend, const std::string& ref) {
    std::cout << std::left << std::setw(static_cast<int>(tenant_width)) << tenant << "  "
              << std::setw(14) << owner << "  " << std::setw(static_cast<int>(name_width)) << name
              << "  " << std::setw(8) << backend << "  " << ref << "\n";
  };
  row("TENANT", "OWNER", "NAME", "BACKEND", "REFERENCE");
  for (const auto& key : *stored) {
    row(tenant_column(key), key.owner, key.name, key.backend(), key.ref);
  }
  return kExitOk;
}

std::string owner_column(const StoredKeyRef& key) {
  return key.owner + " " + (key.tenant_id ? key.tenant + "/" + key.name : key.name);
}

int migrate(const MigrationOptions& options) {
  if (!is_initialized(options.dir)) {
    return report_failure(Error{
        Errc::FailedPrecondition, options.dir.string() + " is not an initialized data folder", {}});
  }
  // Usage first: a folder still on software keys needs the token named.
  auto recorded = recorded_key_backend(options.dir);
  if (!recorded) return report_failure(recorded.error());
  if (recorded->backend != "pkcs11" && options.flags.pkcs11_token.empty()) {
    std::cerr << "fleetpki: --pkcs11-token LABEL is needed ("
              << (options.dir / "config.json").string() << " names no token yet)\n";
    return kExitUsage;
  }
  auto report = migrate_keys_to_token(options);
  if (!report) return report_failure(report.error());
  const auto& target = report->target;
  const std::string token =
      "PKCS#11 token '" + target.pkcs11_token + "' (module " + target.pkcs11_module + ")";
  if (options.dry_run) {
    std::cout << "dry run, nothing changed. Plan: " << report->keys.size() << " software key"
              << (report->keys.size() == 1 ? "" : "s") << " into " << token << "\n";
    for (const auto& key : report->keys) {
      std::cout << "  " << owner_column(key.from) << ": " << key.from.ref << " -> "
                << (key.reused ? "reuse token object '" + key.label +
                                     "' (imported before, same public key)"
                               : "import as token object '" + key.label + "'")
                << "\n";
    }
    if (report->config_changed) {
      std::cout << "  " << (options.dir / "config.json").string()
                << ": key_backend software -> pkcs11\n";
    }
    return kExitOk;
  }
  if (report->keys.empty()) {
    std::cout << "nothing to migrate: no software CA, OCSP responder or audit key"
              << (options.tenant ? " of tenant " + *options.tenant : std::string())
              << " (the server TLS key stays software)\n";
  }
  for (const auto& key : report->keys) {
    std::cout << "migrated " << owner_column(key.from) << ": " << key.from.ref << " -> "
              << key.to_ref << (key.reused ? " (token object from an earlier run)" : "") << "\n";
  }
  if (report->config_changed) {
    std::cout << (options.dir / "config.json").string() << ": key_backend pkcs11, " << token
              << "\n";
  }
  for (const auto& file : report->removed) {
    std::cout << "removed the software copy " << file.string() << "\n";
  }
  if (!report->kept_copies.empty()) {
    std::cerr
        << "fleetpki: warning: these files are still copies of keys now in the token (encrypted "
           "with the "
           "master secret); delete them with --remove-software-keys once no backup needs them:\n";
    for (const auto& file : report->kept_copies) std::cerr << "  " << file.string() << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_keys_command(CLI::App& app, std::function<int()>& run) {
  auto* keys_cmd = app.add_subcommand(
      "keys", "Where the CA keys live; move software CA keys into a PKCS#11 token");
  keys_cmd->require_subcommand(1);

  auto* list = keys_cmd->add_subcommand("list",
                                        "Every stored key reference: tenant, owner (ca, "
                                        "ocsp-responder, audit, server-tls), name, backend");
  auto list_dir = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  list->add_option("--data", *list_dir, "Data folder")->required();
  list->add_flag("--json", *list_json, "JSON array of {tenant, owner, name, backend, reference}");
  list->callback([&run, list_dir, list_json] {
    run = [list_dir, list_json] { return list_keys(*list_dir, *list_json); };
  });

  auto* migrate_cmd = keys_cmd->add_subcommand(
      "migrate-to-token",
      "Move the software CA, OCSP responder and audit keys into a PKCS#11 token");
  migrate_cmd->footer(kMigrateFooter);
  auto options = std::make_shared<MigrationOptions>();
  auto dir = std::make_shared<std::string>();
  auto pin_file = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>();
  migrate_cmd->add_option("--data", *dir, "Data folder")->required();
  migrate_cmd->add_option(
      "--pkcs11-token", options->flags.pkcs11_token,
      "Label of the token (required unless config.json names one; then it must match)");
  migrate_cmd->add_option("--pkcs11-module", options->flags.pkcs11_module,
                          std::string("PKCS#11 module (default: config.json's, else SoftHSM2, ") +
                              keys::kSoftHsm2ModulePath + ")");
  migrate_cmd->add_option(
      "--pkcs11-pin-file", *pin_file,
      std::string("File whose first line is the token's user PIN (else config.json's, else $") +
          keys::kPkcs11PinEnv + ")");
  migrate_cmd->add_option(
      "--tenant", *tenant,
      "Only this tenant's CA and OCSP responder keys (default: all, and the audit key)");
  migrate_cmd->add_flag("--dry-run", options->dry_run,
                        "Print the plan (after checking keys, token and PIN); change nothing");
  migrate_cmd->add_flag(
      "--remove-software-keys", options->remove_software_keys,
      "After the switch, delete the migrated DIR/keys/<label>.p8 files (default: keep them)");
  migrate_cmd->callback([&run, options, dir, pin_file, tenant] {
    options->dir = *dir;
    if (!pin_file->empty()) options->flags.pkcs11_pin_file = *pin_file;
    if (!tenant->empty()) options->tenant = *tenant;
    run = [options] { return migrate(*options); };
  });
}

}  // namespace fleetpki::cli
