// `fleetpki issue --data DIR --tenant T --profile P --csr-dir IN --out OUT [--link-devices]`: factory
// batch issuance. Every *.csr / *.pem in IN becomes OUT/<stem>.crt; a bad CSR is reported and
// skipped. --link-devices links each certificate to the registered device named by its CSR's
// subject serialNumber (the device must exist and be neither suspended nor decommissioned).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"

namespace fleetpki::cli {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxCsrFileBytes = 64 * 1024;

struct BatchOptions {
  std::string dir, tenant = "default", profile, csr_dir, out;
  unsigned threads = 0;
  bool link_devices = false;
};

std::vector<fs::path> list_csr_files(const fs::path& folder, std::error_code& ec) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    if (ext == ".csr" || ext == ".pem") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// Draws "[#####.....] n/total" on stderr when it is a terminal.
class ProgressBar final {
 public:
  explicit ProgressBar(std::size_t total) : total_(total), enabled_(::isatty(STDERR_FILENO) == 1) {}
  void tick() {
    std::size_t done = ++done_;
    if (!enabled_ || (done % 16 != 0 && done != total_)) return;
    std::lock_guard lock(mutex_);
    constexpr std::size_t kWidth = 40;
    const std::size_t filled = total_ ? done * kWidth / total_ : kWidth;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), done, total_);
    if (done == total_) std::fprintf(stderr, "\n");
  }

 private:
  std::size_t total_;
  bool enabled_;
  std::atomic<std::size_t> done_{0};
  std::mutex mutex_;
};

int run_batch(const BatchOptions& opt) {
  std::error_code ec;
  auto files = list_csr_files(opt.csr_dir, ec);
  if (ec) return report_failure(make_error(Errc::NotFound, "cannot read " + opt.csr_dir + ": " + ec.message()));
  fs::create_directories(opt.out, ec);
  if (ec) return report_failure(make_error(Errc::Unavailable, "cannot create " + opt.out + ": " + ec.message()));
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  authority::Authority& authority = *(*rt)->authority;
  const authority::Principal who = local_operator();

  // Workers take chunks of files; within a chunk, signing overlaps the group commit (issue_many).
  constexpr std::size_t kChunk = 256;  // larger chunks amortize the wait for the last commit
  ProgressBar progress(files.size());
  std::atomic<std::size_t> next{0}, issued{0}, failed{0};
  std::mutex err_mutex;
  auto report = [&](const fs::path& file, const Error& error) {
    ++failed;
    std::lock_guard lock(err_mutex);
    std::cerr << (::isatty(STDERR_FILENO) ? "\r" : "") << "fleetpki: " << file.filename().string() << ": "
              << error.message << "\n";
  };
  auto worker = [&] {
    for (std::size_t begin = next.fetch_add(kChunk); begin < files.size(); begin = next.fetch_add(kChunk)) {
      const std::size_t end = std::min(files.size(), begin + kChunk);
      std::vector<std::string> pems;
      std::vector<std::size_t> index;  // pems[k] came from files[index[k]]
      for (std::size_t i = begin; i < end; ++i) {
        auto pem = read_file(files[i], kMaxCsrFileBytes);
        if (!pem) {
          report(files[i], pem.error());
          progress.tick();
          continue;
        }
        pems.push_back(std::move(*pem));
        index.push_back(i);
      }
      auto results = authority.issue_many(who, opt.tenant, opt.profile, pems, {"batch"}, opt.link_devices);
      for (std::size_t k = 0; k < results.size(); ++k) {
        const fs::path& file = files[index[k]];
        Status written = results[k].and_then([&](const authority::IssuedCertificate& cert) {
          return write_file_atomic(fs::path(opt.out) / (file.stem().string() + ".crt"), cert.certificate_pem, 0644);
        });
        if (written) {
          ++issued;
        } else {
          report(file, written.error());
        }
        progress.tick();
      }
    }
  };
  unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  std::cout << "issued " << issued << ", failed " << failed << " (profile " << opt.profile << ", tenant "
            << opt.tenant << ") into " << opt.out << "\n";
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void add_issue_command(CLI::App& app, std::function<int()>& run) {
  auto* cmd = app.add_subcommand("issue", "Issue certificates for a folder of CSRs (factory batch), without a server");
  auto opt = std::make_shared<BatchOptions>();
  cmd->add_option("--data", opt->dir, "Data folder")->required();
  cmd->add_option("--tenant", opt->tenant, "Tenant")->capture_default_str();
  cmd->add_option("--profile", opt->profile, "Certificate profile, e.g. idevid")->required();
  cmd->add_option("--csr-dir", opt->csr_dir, "Folder of *.csr / *.pem CSRs")->required();
  cmd->add_option("--out", opt->out, "Folder for the certificates (<stem>.crt)")->required();
  cmd->add_option("--threads", opt->threads, "Signing threads (default: one per core)");
  cmd->add_flag("--link-devices", opt->link_devices,
                "Link each certificate to the registered device its CSR's subject serialNumber names (IEEE 802.1AR)");
  cmd->callback([&run, opt] { run = [opt] { return run_batch(*opt); }; });
}

}  // namespace fleetpki::cli
