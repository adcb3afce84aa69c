// `fleetpki tenant create|list|disable|enable` and `fleetpki ca list|create|install|disable|enable`:
// local administration of a data folder (no server needed), as the platform administrator.
#include <iostream>

#include "authority/tenant_admin.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"
#include "common/time_format.h"
#include "pki/pem.h"

namespace fleetpki::cli {
namespace {

constexpr std::size_t kMaxPemFile = 64 * 1024;

struct TenantOptions {
  std::string dir;
  std::string tenant;
};

CLI::App* data_and_tenant(CLI::App* cmd, TenantOptions& o, bool tenant_required) {
  cmd->add_option("--data", o.dir, "Data folder")->required();
  auto* t = cmd->add_option("--tenant", o.tenant, "Tenant name");
  if (tenant_required) t->required();
  return cmd;
}

/// Opens the data folder and runs `body` with the authority; reports failures.
int with_authority(const std::string& dir, const std::function<Status(authority::Authority&)>& body) {
  auto rt = open_runtime(dir);
  if (!rt) return report_failure(rt.error());
  auto done = body(*(*rt)->authority);
  if (!done) return report_failure(done.error());
  return kExitOk;
}

void add_tenant_subcommands(CLI::App& app, std::function<int()>& run) {
  auto* tenant = app.add_subcommand("tenant", "Manage tenants (platform administration)");
  tenant->require_subcommand(1);

  auto create = std::make_shared<TenantOptions>();
  auto* c = data_and_tenant(tenant->add_subcommand("create", "Create a tenant with its CAs and default profiles"),
                            *create, true);
  c->callback([&run, create] {
    run = [create] {
      return with_authority(create->dir, [&](authority::Authority& a) -> Status {
        FLEETPKI_TRY(auto t, a.tenant_admin().create_tenant(local_operator(), create->tenant, {"cli"}));
        std::cout << "tenant " << t.name << " created\n";
        return ok();
      });
    };
  });

  auto list = std::make_shared<TenantOptions>();
  auto* l = tenant->add_subcommand("list", "List tenants");
  l->add_option("--data", list->dir, "Data folder")->required();
  l->callback([&run, list] {
    run = [list] {
      return with_authority(list->dir, [&](authority::Authority& a) -> Status {
        std::int64_t after = 0;
        while (true) {
          FLEETPKI_TRY(auto page, a.tenant_admin().list_tenants(local_operator(), after, 1000));
          for (const auto& t : page.items) {
            std::cout << t.name << "\t" << (t.disabled ? "disabled" : "active") << "\t" << format_rfc3339(t.created_at)
                      << "\n";
          }
          if (!page.next_after) return ok();
          after = *page.next_after;
        }
      });
    };
  });

  for (bool disable : {true, false}) {
    auto o = std::make_shared<TenantOptions>();
    auto* cmd = data_and_tenant(
        tenant->add_subcommand(disable ? "disable" : "enable",
                               disable ? "Disable a tenant: its credentials and issuance stop" : "Enable a tenant again"),
        *o, true);
    cmd->callback([&run, o, disable] {
      run = [o, disable] {
        return with_authority(o->dir, [&](authority::Authority& a) -> Status {
          FLEETPKI_TRY(auto t, a.tenant_admin().set_tenant_disabled(local_operator(), o->tenant, disable, {"cli"}));
          std::cout << "tenant " << t.name << (t.disabled ? " disabled\n" : " enabled\n");
          return ok();
        });
      };
    });
  }
}

struct CaOptions : TenantOptions {
  authority::CaSpec spec;
  std::string name;
  std::string certificate_file;
  std::string chain_file;
  std::string csr_out;
  std::vector<std::string> permitted_dns;
  std::vector<std::string> excluded_dns;
  std::vector<std::string> permitted_ip;
};

void add_ca_subcommands(CLI::App& app, std::function<int()>& run) {
  auto* ca = app.add_subcommand("ca", "Manage a tenant's CAs");
  ca->require_subcommand(1);

  auto list = std::make_shared<CaOptions>();
  auto* l = data_and_tenant(ca->add_subcommand("list", "List the tenant's CAs"), *list, true);
  l->callback([&run, list] {
    run = [list] {
      return with_authority(list->dir, [&](authority::Authority& a) -> Status {
        FLEETPKI_TRY(auto cas, a.tenant_admin().list_cas(local_operator(), list->tenant));
        for (const auto& c : cas) std::cout << c.name << "\t" << c.status << "\n";
        return ok();
      });
    };
  });

  auto create = std::make_shared<CaOptions>();
  auto* c = data_and_tenant(ca->add_subcommand("create", "Create a CA: signed by a tenant CA, or --external (CSR out)"),
                            *create, true);
  c->add_option("--name", create->spec.name, "CA name")->required();
  c->add_flag("--external", create->spec.external, "Key here, certificate from the customer's own CA (writes a CSR)");
  c->add_option("--parent", create->spec.parent, "Signing CA of the tenant")->capture_default_str();
  c->add_option("--key-type", create->spec.key_type, "ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096")->capture_default_str();
  c->add_option("--validity-days", create->spec.validity_days, "Validity")->capture_default_str();
  c->add_option("--path-len", create->spec.path_len, "pathLenConstraint")->capture_default_str();
  c->add_option("--permit-dns", create->permitted_dns, "Name constraint: permitted DNS subtree (repeatable)");
  c->add_option("--exclude-dns", create->excluded_dns, "Name constraint: excluded DNS subtree (repeatable)");
  c->add_option("--permit-ip", create->permitted_ip, "Name constraint: permitted IP range, CIDR (repeatable)");
  c->add_option("--csr-out", create->csr_out, "Where to write the CSR of an --external CA (default: stdout)");
  c->callback([&run, create] {
    run = [create] {
      return with_authority(create->dir, [&](authority::Authority& a) -> Status {
        if (!create->permitted_dns.empty() || !create->excluded_dns.empty() || !create->permitted_ip.empty()) {
          pki::NameConstraints nc;
          nc.permitted_dns = create->permitted_dns;
          nc.excluded_dns = create->excluded_dns;
          nc.permitted_ip = create->permitted_ip;
          create->spec.name_constraints = nc;
        }
        FLEETPKI_TRY(auto rec, a.tenant_admin().create_ca(local_operator(), create->tenant, create->spec, {"cli"}));
        if (rec.status == "pending") {
          const std::string csr = pki::pem_encode(rec.csr_der, "CERTIFICATE REQUEST");
          if (create->csr_out.empty()) {
            std::cout << csr;
          } else {
            FLEETPKI_RETURN_IF_ERROR(write_file_atomic(create->csr_out, csr, 0644));
            std::cout << "CA " << rec.name << " pending: CSR written to " << create->csr_out << "\n";
          }
        } else {
          std::cout << "CA " << rec.name << " created\n";
        }
        return ok();
      });
    };
  });

  auto install = std::make_shared<CaOptions>();
  auto* i = data_and_tenant(ca->add_subcommand("install", "Install the certificate signed for an --external CA"),
                            *install, true);
  i->add_option("--name", install->name, "CA name")->required();
  i->add_option("--certificate", install->certificate_file, "PEM certificate of the CA")->required();
  i->add_option("--chain", install->chain_file, "PEM issuers up to the customer's root")->required();
  i->callback([&run, install] {
    run = [install] {
      return with_authority(install->dir, [&](authority::Authority& a) -> Status {
        FLEETPKI_TRY(auto cert, read_file(install->certificate_file, kMaxPemFile));
        FLEETPKI_TRY(auto chain, read_file(install->chain_file, kMaxPemFile));
        FLEETPKI_TRY(auto rec, a.tenant_admin().install_ca_certificate(local_operator(), install->tenant, install->name,
                                                                       cert, chain, {"cli"}));
        std::cout << "CA " << rec.name << " active\n";
        return ok();
      });
    };
  });

  for (bool disable : {true, false}) {
    auto o = std::make_shared<CaOptions>();
    auto* cmd = data_and_tenant(ca->add_subcommand(disable ? "disable" : "enable",
                                                   disable ? "Stop issuance by a CA" : "Resume issuance by a CA"),
                                *o, true);
    cmd->add_option("--name", o->name, "CA name")->required();
    cmd->callback([&run, o, disable] {
      run = [o, disable] {
        return with_authority(o->dir, [&](authority::Authority& a) -> Status {
          FLEETPKI_TRY(auto rec, a.tenant_admin().set_ca_status(local_operator(), o->tenant, o->name, disable, {"cli"}));
          std::cout << "CA " << rec.name << " " << rec.status << "\n";
          return ok();
        });
      };
    });
  }
}

}  // namespace

void add_tenant_commands(CLI::App& app, std::function<int()>& run) {
  add_tenant_subcommands(app, run);
  add_ca_subcommands(app, run);
}

}  // namespace fleetpki::cli
