// `fleetpki init --data DIR [--tenant NAME] [--key-backend software|pkcs11 --pkcs11-module PATH
//  --pkcs11-token LABEL [--pkcs11-pin-file FILE]]` (PIN also from FLEETPKI_PKCS11_PIN)
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/commands/serve_services.h"
#include "cli/data_dir.h"

namespace fleetpki::cli {

void add_init_command(CLI::App& app, std::function<int()>& run) {
  auto* cmd = app.add_subcommand("init", "Create a data folder: database, development CAs, profiles, admin token");
  auto dir = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>("default");
  cmd->add_option("--data", *dir, "Data folder to create")->required();
  cmd->add_option("--tenant", *tenant, "Name of the first tenant")->capture_default_str();
  auto keys = std::make_shared<KeyBackendOptions>();
  auto pin_file = std::make_shared<std::string>();
  cmd->add_option("--key-backend", keys->backend, "Where CA keys live: software or pkcs11")
      ->check(CLI::IsMember({"software", "pkcs11"}))
      ->capture_default_str();
  cmd->add_option("--pkcs11-module", keys->pkcs11_module,
                  "PKCS#11 module (default: SoftHSM2, /usr/lib/softhsm/libsofthsm2.so)");
  cmd->add_option("--pkcs11-token", keys->pkcs11_token, "Label of the PKCS#11 token holding the CA keys");
  cmd->add_option("--pkcs11-pin-file", *pin_file,
                  "File whose first line is the token's user PIN (else $FLEETPKI_PKCS11_PIN)");
  cmd->callback([&run, dir, tenant, keys, pin_file] {
    if (!pin_file->empty()) keys->pkcs11_pin_file = *pin_file;
    run = [dir, tenant, keys] {
      auto token_path = initialize(*dir, *tenant, *keys);
      if (!token_path) return report_failure(token_path.error());
      // The audit key is pinned now, before anyone else can touch the database.
      auto rt = open_runtime(*dir);
      if (!rt) return report_failure(rt.error());
      if (auto pinned = ensure_pinned_audit_key(**rt); !pinned) return report_failure(pinned.error());
      std::cout << "initialized " << *dir << "; admin token in " << token_path->string() << "\n";
      return kExitOk;
    };
  });
}

}  // namespace fleetpki::cli
