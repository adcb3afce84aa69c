// Subcommands of the `fleetpki` executable; each returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace fleetpki::cli {

/// Exit codes of the contract: 0 success, 1 failure (one line on stderr), 2 usage error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// Each adds its subcommand to `app` and sets `run` to the action to perform when it is chosen.
void add_init_command(CLI::App& app, std::function<int()>& run);
void add_serve_command(CLI::App& app, std::function<int()>& run);
void add_token_command(CLI::App& app, std::function<int()>& run);
void add_issue_command(CLI::App& app, std::function<int()>& run);
void add_certificate_commands(CLI::App& app, std::function<int()>& run);
void add_tenant_commands(CLI::App& app, std::function<int()>& run);  // `fleetpki tenant …` and `fleetpki ca …`
void add_device_commands(CLI::App& app, std::function<int()>& run);  // `fleetpki devices …`
void add_profile_commands(CLI::App& app, std::function<int()>& run);  // `fleetpki profiles …`
void add_audit_commands(CLI::App& app, std::function<int()>& run);  // `fleetpki audit verify|export|checkpoint`
void add_enrollment_commands(CLI::App& app, std::function<int()>& run);  // `fleetpki est-endpoint …`, `fleetpki enrollments …`
void add_ceremony_command(CLI::App& app, std::function<int()>& run);  // `fleetpki ceremony …` (offline root)
void add_keys_command(CLI::App& app, std::function<int()>& run);  // `fleetpki keys list|migrate-to-token`
/// `fleetpki devices otp|grant-renewal` (EST enrollment credentials), added to `devices`.
void add_device_enrollment_commands(CLI::App& devices, std::function<int()>& run);

}  // namespace fleetpki::cli
