// `fleetpki serve --data DIR [--https HOST:PORT] [--http HOST:PORT] [--public-url URL]`
#include <signal.h>

#include <charconv>
#include <iostream>
#include <thread>

#include "authority/default_profiles.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/commands/serve_services.h"
#include "cli/data_dir.h"
#include "common/log.h"
#include "pki/ossl/ptr.h"
#include "server/api_v1/api_v1.h"
#include "server/est/est_routes.h"
#include "server/http_server.h"

namespace fleetpki::cli {
namespace {

struct ServeOptions {
  std::string dir;
  std::string https = "127.0.0.1:8443";
  std::string http = "127.0.0.1:8080";
  std::string public_url;
  unsigned threads = 0;
  unsigned http_threads = 1;
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

/// "127.0.0.1:8443", "localhost:0", "[::1]:8443".
Result<HostPort> parse_host_port(const std::string& text) {
  auto bad = [&] { return fail(Errc::InvalidArgument, "'" + text + "' is not HOST:PORT"); };
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad();
  HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') hp.host = hp.host.substr(1, hp.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ptr != port.data() + port.size() || value > 65535) return bad();
  hp.port = static_cast<std::uint16_t>(value);
  return hp;
}

std::string url_host(const std::string& host) {
  if (host == "0.0.0.0" || host == "::" || host.empty()) return "127.0.0.1";
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

/// The server's own TLS certificate: a vault key kept across restarts, a certificate from the
/// tenant's issuing CA (profile tls-server) issued at every start for the names it listens on.
Result<std::string> server_tls_chain(Runtime& rt, const std::string& https_host,
                                     pki::ossl::Ptr<EVP_PKEY>& key_out) {
  constexpr const char* kKeySetting = "server_tls_key_ref";
  FLEETPKI_TRY(auto key_ref, rt.store->get_setting(kKeySetting));
  if (!key_ref) {
    FLEETPKI_TRY(std::string created, rt.vault->generate(keys::KeyAlgorithm::EcP256, "server-tls"));
    FLEETPKI_RETURN_IF_ERROR(rt.store->write([&](store::Transaction& tx) { return tx.put_setting(kKeySetting, created); }));
    key_ref = created;
  }
  FLEETPKI_TRY(auto signer, rt.vault->open_signer(*key_ref));
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (std::find(names.begin(), names.end(), https_host) == names.end() && https_host != "0.0.0.0" && https_host != "::") {
    names.push_back(https_host);
  }
  FLEETPKI_TRY(auto issued, rt.authority->issue_for_key(local_operator(), "default", "tls-server", *signer,
                                                        "fleetpki server", names, {"serve"}));
  FLEETPKI_TRY(key_out, rt.vault->tls_private_key(*key_ref));
  return issued.certificate_pem + issued.chain_pem;
}

int serve(const ServeOptions& opt) {
  auto https = parse_host_port(opt.https);
  auto http = parse_host_port(opt.http);
  if (!https) return report_failure(https.error());
  if (!http) return report_failure(http.error());

  if (!is_initialized(opt.dir)) {
    auto init = initialize(opt.dir, "default");
    if (!init) return report_failure(init.error());
    log::info("initialized data folder " + opt.dir);
  }

  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const unsigned threads = opt.threads ? opt.threads : std::max(4u, 2 * std::thread::hardware_concurrency());
  server::HttpServer server(threads, {}, opt.http_threads);
  server::Router https_router, http_router;
  auto http_port = server.listen_plain(http->host, http->port, http_router);
  if (!http_port) return report_failure(http_port.error());

  const std::string public_url =
      opt.public_url.empty() ? "http://" + url_host(http->host) + ":" + std::to_string(*http_port) : opt.public_url;
  auto rt = open_runtime(opt.dir, public_url);
  if (!rt) return report_failure(rt.error());

  pki::ossl::Ptr<EVP_PKEY> tls_key;
  auto chain = server_tls_chain(**rt, https->host, tls_key);
  if (!chain) return report_failure(chain.error());
  auto tls = server::make_server_tls_context(*chain, tls_key.get());
  if (!tls) return report_failure(tls.error());
  auto https_port = server.listen_tls(https->host, https->port, tls->get(), https_router);
  if (!https_port) return report_failure(https_port.error());

  server::api_v1::register_routes(https_router, http_router, *(*rt)->authority);
  server::est::register_routes(https_router, *(*rt)->authority);
  // Services stop (handles destroyed) after the server has stopped and before the runtime goes.
  std::vector<ServiceHandle> services;
  for (auto start : {start_crl_service, start_ocsp_service}) {
    auto service = start(**rt, http_router);
    if (!service) return report_failure(service.error());
    services.push_back(std::move(*service));
  }
  auto configuration = start_configuration_service(**rt);
  if (!configuration) return report_failure(configuration.error());
  services.push_back(std::move(*configuration));
  auto bulk_jobs = start_bulk_job_service(**rt);
  if (!bulk_jobs) return report_failure(bulk_jobs.error());
  services.push_back(std::move(*bulk_jobs));
  if (auto audit = start_audit_service(**rt); audit) services.push_back(std::move(*audit));  // last: stops last
  server.start();
  std::cout << "https listening on " << url_host(https->host) << ":" << *https_port << "\n"
            << "http listening on " << url_host(http->host) << ":" << *http_port << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log::info("stopping on signal " + std::to_string(signal_number));
  server.stop();
  return kExitOk;
}

}  // namespace

void add_serve_command(CLI::App& app, std::function<int()>& run) {
  auto* cmd = app.add_subcommand("serve", "Run the HTTPS (REST, EST) and HTTP (OCSP, CRL, health) listeners");
  auto opt = std::make_shared<ServeOptions>();
  cmd->add_option("--data", opt->dir, "Data folder (initialized when empty)")->required();
  cmd->add_option("--https", opt->https, "HTTPS listener HOST:PORT (:0 = any free port)")->capture_default_str();
  cmd->add_option("--http", opt->http, "Plain-HTTP listener HOST:PORT (:0 = any free port)")->capture_default_str();
  cmd->add_option("--public-url", opt->public_url,
                  "Base URL of the HTTP listener as relying parties reach it (CRL/OCSP URLs in certificates)");
  cmd->add_option("--threads", opt->threads, "HTTPS server threads (default: max(4, 2 x cores))");
  cmd->add_option("--http-threads", opt->http_threads,
                  "Threads of the plain-HTTP listener (OCSP, CRL, metrics); 0 = share the HTTPS threads")
      ->capture_default_str();
  cmd->callback([&run, opt] { run = [opt] { return serve(*opt); }; });
}

}  // namespace fleetpki::cli
