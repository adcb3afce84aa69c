// Issue #5, point 7: EST enrollment load client (and the material it needs).
//
//   est_enroll_load prepare --out DIR --count N [--threads T] [--prefix P]
//       N devices: a P-256 IDevID key and its CSR (subject CN = serialNumber = the device serial,
//       DIR/idevid-csr/<serial>.csr, for `fleetpki issue --profile idevid`), a second P-256 key and
//       the enrollment CSR made with it (kept as base64 DER, the simpleenroll body), DIR/devices.csv
//       (header `serial`, for `fleetpki devices import`), and DIR/devices.pack (one line per device:
//       serial TAB IDevID private scalar TAB its public point TAB enrollment CSR DER, all base64). Also a P-256 key and CSR
//       for the `openssl s_server` of the handshake limit (DIR/s_server.key, DIR/s_server-csr/s_server.csr,
//       SANs localhost and 127.0.0.1). The enrollment keys are not kept: the benchmark never uses
//       the LDevIDs.
//
//   est_enroll_load run --mode enroll|handshake --port P[,P2…] --material DIR --certs CERTDIR
//                       [--host 127.0.0.1] [--threads T] [--duration S] [--first K] [--limit M]
//                       [--label L] [--file NAME] [--tls 1.2|1.3] [--save-first FILE]
//       Loads devices K … K+M-1 (IDevID certificate CERTDIR/<serial>.crt, key, enrollment CSR) into
//       memory before the clock starts, then T threads loop until S seconds have passed (or, in
//       enroll mode, the devices run out): TCP connect (TCP_NODELAY), a FRESH TLS handshake with the
//       device's IDevID as client certificate (no session resumption), one HTTP request, the whole
//       response read, status checked, close_notify, close. Each device is used once in enroll
//       mode; handshake mode cycles through the devices. Ports are used round-robin.
//         enroll:    POST /.well-known/est/[LABEL/]simpleenroll, Content-Type application/pkcs10,
//                    body base64 DER CSR; success = 200 with a pkcs7-mime answer.
//         handshake: GET /NAME HTTP/1.0 against `openssl s_server -WWW` (a small file); success = 200.
//       The client does not verify the server's chain (it is a load generator: a device's own
//       verification costs the device, not the server); it is the same client code in both modes.
//       Prints one JSON object: counts, errors by kind, rate, latency percentiles, client CPU.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "est_enroll_load: %s\n", what.c_str());
  ERR_print_errors_fp(stderr);
  std::exit(2);
}

std::string ossl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// ---- command line ----------------------------------------------------------------------------

struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
  std::string need(const std::string& k) const {
    auto it = values.find(k);
    if (it == values.end()) die("missing --" + k);
    return it->second;
  }
  long num(const std::string& k, long def) const {
    auto it = values.find(k);
    if (it == values.end()) return def;
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0') die("--" + k + " is not a number: " + it->second);
    return v;
  }
  double real(const std::string& k, double def) const {
    auto it = values.find(k);
    if (it == values.end()) return def;
    return std::strtod(it->second.c_str(), nullptr);
  }
};

Args parse_args(int argc, char** argv, int from) {
  Args a;
  for (int i = from; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument: " + k);
    a.values[k.substr(2)] = argv[++i];
  }
  return a;
}

// ---- base64 ------------------------------------------------------------------------------------

std::string b64(const unsigned char* data, std::size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<unsigned char> unb64(std::string_view s) {
  std::vector<unsigned char> out(3 * (s.size() / 4) + 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) die("bad base64 in the material");
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (!s.empty() && s.back() == '=') --len;
  if (s.size() > 1 && s[s.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

// ---- prepare -----------------------------------------------------------------------------------

PkeyPtr p256() {
  PkeyPtr k(EVP_EC_gen("P-256"));
  if (!k) die("EVP_EC_gen(P-256) failed");
  return k;
}

/// The key as "base64(private scalar, 32 bytes) TAB base64(uncompressed public point)": rebuilt with
/// EVP_PKEY_fromdata at load, several times cheaper than OpenSSL 3.0's DER decoders.
std::string raw_key(EVP_PKEY* k) {
  BIGNUM* priv = nullptr;
  if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1) die("cannot read the private scalar");
  unsigned char scalar[32];
  const int ok = BN_bn2binpad(priv, scalar, sizeof scalar);
  BN_clear_free(priv);
  if (ok != 32) die("BN_bn2binpad failed");
  unsigned char point[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) != 1 || len != 65) {
    die("cannot read the public point");
  }
  return b64(scalar, sizeof scalar) + "\t" + b64(point, len);
}

PkeyPtr key_from_raw(std::string_view priv_b64, std::string_view pub_b64) {
  const auto priv = unb64(priv_b64);
  const auto pub = unb64(pub_b64);
  BIGNUM* bn = BN_bin2bn(priv.data(), static_cast<int>(priv.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bn == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()) != 1) {
    die("cannot build the key parameters");
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  thread_local EVP_PKEY_CTX* ctx = [] {
    EVP_PKEY_CTX* c = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    if (c == nullptr || EVP_PKEY_fromdata_init(c) != 1) die("EVP_PKEY_fromdata_init failed");
    return c;
  }();
  EVP_PKEY* k = nullptr;
  if (params == nullptr || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) != 1) die("EVP_PKEY_fromdata failed");
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_clear_free(bn);
  return PkeyPtr(k);
}

/// A CSR over `key`: subject CN = serial, serialNumber = serial, O = "FleetPKI EST bench"; SANs if given.
ReqPtr make_csr(EVP_PKEY* key, const std::string& cn, const std::string& serial, const std::string& san) {
  ReqPtr req(X509_REQ_new());
  NamePtr name(X509_NAME_new());
  if (!req || !name) die("out of memory");
  auto add = [&](const char* field, const std::string& v) {
    if (X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()),
                                   -1, -1, 0) != 1) {
      die(std::string("cannot add ") + field);
    }
  };
  add("CN", cn);
  add("O", "FleetPKI EST bench");
  if (!serial.empty()) add("serialNumber", serial);
  if (X509_REQ_set_version(req.get(), 0) != 1 || X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key) != 1) {
    die("cannot fill the CSR");
  }
  if (!san.empty()) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
    if (!exts || !ext || sk_X509_EXTENSION_push(exts, ext.get()) <= 0) die("cannot make the SAN extension");
    const int ok = X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_free(exts);  // ext is still owned by ext
    if (ok != 1) die("cannot add the SAN extension");
  }
  if (X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0) die("X509_REQ_sign failed");
  return req;
}

std::string csr_pem(X509_REQ* req) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req) != 1) die("PEM_write_bio_X509_REQ failed");
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<std::size_t>(n));
}

std::string csr_der_b64(X509_REQ* req) {
  unsigned char* der = nullptr;
  const int n = i2d_X509_REQ(req, &der);
  if (n <= 0) die("i2d_X509_REQ failed");
  std::string out = b64(der, static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

void write_file(const fs::path& p, const std::string& data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << data;
  if (!f) die("cannot write " + p.string());
}

int cmd_prepare(const Args& a) {
  const fs::path out = a.need("out");
  const long count = a.num("count", 1000);
  const long threads = std::max(1L, a.num("threads", static_cast<long>(std::thread::hardware_concurrency())));
  const std::string prefix = a.get("prefix", "ESTB");
  if (count <= 0) die("--count must be positive");
  fs::create_directories(out / "idevid-csr");
  fs::create_directories(out / "s_server-csr");

  const auto t0 = Clock::now();
  std::vector<std::string> lines(static_cast<std::size_t>(count));
  std::atomic<long> next{0};
  auto worker = [&] {
    for (long i; (i = next.fetch_add(1)) < count;) {
      char serial[32];
      std::snprintf(serial, sizeof serial, "%s%08ld", prefix.c_str(), i);
      PkeyPtr idevid_key = p256();
      ReqPtr idevid_csr = make_csr(idevid_key.get(), serial, serial, "");
      write_file(out / "idevid-csr" / (std::string(serial) + ".csr"), csr_pem(idevid_csr.get()));
      PkeyPtr enroll_key = p256();
      ReqPtr enroll_csr = make_csr(enroll_key.get(), serial, serial, "");
      lines[static_cast<std::size_t>(i)] =
          std::string(serial) + "\t" + raw_key(idevid_key.get()) + "\t" + csr_der_b64(enroll_csr.get()) + "\n";
    }
  };
  std::vector<std::thread> pool;
  for (long t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  std::string csv = "serial\n", pack;
  pack.reserve(lines.size() * 400);
  for (const auto& l : lines) {
    csv += l.substr(0, l.find('\t')) + "\n";
    pack += l;
  }
  write_file(out / "devices.csv", csv);
  write_file(out / "devices.pack", pack);

  PkeyPtr server_key = p256();
  ReqPtr server_csr = make_csr(server_key.get(), "localhost", "", "DNS:localhost,IP:127.0.0.1");
  write_file(out / "s_server-csr" / "s_server.csr", csr_pem(server_csr.get()));
  BioPtr kb(BIO_new_file((out / "s_server.key").c_str(), "w"));
  if (!kb || PEM_write_bio_PrivateKey(kb.get(), server_key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    die("cannot write s_server.key");
  }
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("{\"prepared\":%ld,\"seconds\":%.2f}\n", count, s);
  return 0;
}

// ---- run ---------------------------------------------------------------------------------------

struct Device {
  std::string serial;
  X509Ptr cert;
  PkeyPtr key;
  std::string request;  // the whole HTTP request
};

enum class Mode { Enroll, Handshake };

struct ErrorCounts {
  long connect = 0, handshake = 0, io = 0, http = 0, body = 0;
  std::map<int, long> status;
  std::string first;
  long total() const { return connect + handshake + io + http + body; }
};

struct ThreadResult {
  long ok = 0;
  ErrorCounts errors;
  std::vector<float> latency_ms;
  std::string first_body;
  std::string first_body_type;
};

X509Ptr read_cert(const fs::path& p) {
  BioPtr bio(BIO_new_file(p.c_str(), "r"));
  if (!bio) die("cannot open " + p.string() + " (was the IDevID issued?)");
  X509Ptr c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!c) die("no certificate in " + p.string());
  return c;
}

std::vector<Device> load_devices(const Args& a, Mode mode, long first, long limit, const std::string& host,
                                 const std::vector<int>& ports) {
  const fs::path material = a.need("material");
  const fs::path certs = a.need("certs");
  std::ifstream pack(material / "devices.pack");
  if (!pack) die("cannot open " + (material / "devices.pack").string());
  std::vector<std::string> lines;
  std::string line;
  for (long i = 0; std::getline(pack, line); ++i) {
    if (i < first) continue;
    if (static_cast<long>(lines.size()) >= limit) break;
    lines.push_back(std::move(line));
  }
  if (lines.empty()) die("no devices at --first " + std::to_string(first) + " in the material");

  const std::string label = a.get("label", "");
  const std::string path = "/.well-known/est/" + (label.empty() ? "" : label + "/") + "simpleenroll";
  const std::string file = a.get("file", "est-bench.txt");
  std::vector<Device> devices(lines.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < lines.size();) {
      const std::string& l = lines[i];
      // serial TAB private scalar TAB public point TAB enrollment CSR
      const auto t1 = l.find('\t'), t2 = l.find('\t', t1 + 1), t3 = l.find('\t', t2 + 1);
      if (t1 == std::string::npos || t2 == std::string::npos || t3 == std::string::npos) die("bad line in devices.pack");
      Device& d = devices[i];
      d.serial = l.substr(0, t1);
      const std::string_view lv(l);
      d.key = key_from_raw(lv.substr(t1 + 1, t2 - t1 - 1), lv.substr(t2 + 1, t3 - t2 - 1));
      d.cert = read_cert(certs / (d.serial + ".crt"));
      const int port = ports[i % ports.size()];
      if (mode == Mode::Enroll) {
        const std::string body(l.substr(t3 + 1));
        d.request = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                    "\r\nContent-Type: application/pkcs10\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n" + body;
      } else {
        d.request = "GET /" + file + " HTTP/1.0\r\nHost: " + host + ":" + std::to_string(port) + "\r\n\r\n";
      }
    }
  };
  std::vector<std::thread> pool;
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 0; t < n; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  return devices;
}

bool write_all(SSL* ssl, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    size_t written = 0;
    if (SSL_write_ex(ssl, data.data() + off, data.size() - off, &written) != 1) return false;
    off += written;
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;
};

/// Reads one HTTP response: headers, then Content-Length bytes or up to the end of the stream.
std::optional<Response> read_response(SSL* ssl) {
  std::string buf;
  char chunk[8192];
  std::size_t header_end = std::string::npos;
  std::optional<std::size_t> content_length;
  Response r;
  for (;;) {
    if (header_end != std::string::npos && content_length && buf.size() >= header_end + *content_length) break;
    size_t got = 0;
    if (SSL_read_ex(ssl, chunk, sizeof chunk, &got) != 1) {
      const int err = SSL_get_error(ssl, 0);
      if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && !content_length)) {
        ERR_clear_error();
        break;  // end of stream
      }
      return std::nullopt;
    }
    buf.append(chunk, got);
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        header_end += 4;
        std::istringstream hs(buf.substr(0, header_end));
        std::string line;
        std::getline(hs, line);
        if (line.size() < 12 || line.rfind("HTTP/1.", 0) != 0) return std::nullopt;
        r.status = std::atoi(line.c_str() + 9);
        while (std::getline(hs, line)) {
          const auto colon = line.find(':');
          if (colon == std::string::npos) continue;
          const std::string name = lower(line.substr(0, colon));
          std::string value = line.substr(colon + 1);
          while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
          while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
          if (name == "content-length") content_length = std::strtoul(value.c_str(), nullptr, 10);
          if (name == "content-type") r.content_type = value;
        }
      }
    }
  }
  if (header_end == std::string::npos) return std::nullopt;
  r.body = buf.substr(header_end);
  if (content_length && r.body.size() < *content_length) return std::nullopt;
  return r;
}

/// Before every read from the socket: TCP_QUICKACK, so the client acknowledges at once. Without it
/// a server that does not set TCP_NODELAY (openssl s_server) holds its second TLS 1.3 session
/// ticket and the answer behind Nagle until the client's delayed ACK (~40 ms per connection).
long quickack_before_read(BIO* bio, int oper, const char*, size_t, int, long, int ret, size_t*) {
  if ((oper & BIO_CB_RETURN) != 0) return ret;  // after the call: keep its result
  if (oper == BIO_CB_READ) {
    const int fd = static_cast<int>(BIO_get_fd(bio, nullptr));
    const int one = 1;
    if (fd >= 0) ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }
  return 1;
}

int connect_to(const sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      o += ' ';
    } else {
      o += c;
    }
  }
  return o;
}

int cmd_run(const Args& a) {
  const std::string mode_s = a.need("mode");
  const Mode mode = mode_s == "enroll" ? Mode::Enroll : mode_s == "handshake" ? Mode::Handshake : (die("bad --mode"), Mode::Enroll);
  const std::string host = a.get("host", "127.0.0.1");
  std::vector<int> ports;
  {
    std::stringstream ss(a.need("port"));
    for (std::string p; std::getline(ss, p, ',');) ports.push_back(std::atoi(p.c_str()));
  }
  if (ports.empty() || std::find(ports.begin(), ports.end(), 0) != ports.end()) die("bad --port");
  const long threads = std::max(1L, a.num("threads", 16));
  const double duration = a.real("duration", 10);
  const long first = a.num("first", 0);
  const long limit = a.num("limit", 1000000000L);
  const std::string tls = a.get("tls", "1.3");
  const bool quick_ack = a.num("quickack", 1) != 0;

  const auto t_load = Clock::now();
  std::vector<Device> devices = load_devices(a, mode, first, limit, host, ports);
  const double load_s = std::chrono::duration<double>(Clock::now() - t_load).count();

  SslCtxPtr ctx(SSL_CTX_new_ex(nullptr, nullptr, TLS_client_method()));
  if (!ctx) die("SSL_CTX_new_ex failed");
  const int version = tls == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_read_ahead(ctx.get(), 1);  // one read() per burst, not two per TLS record

  std::vector<sockaddr_in> addrs;
  for (const int p : ports) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(p));
    if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) die("--host must be an IPv4 address");
    addrs.push_back(sa);
  }

  std::atomic<std::size_t> next{0};
  std::vector<ThreadResult> results(static_cast<std::size_t>(threads));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  const double cpu0 = cpu_seconds();

  auto worker = [&](ThreadResult& res) {
    res.latency_ms.reserve(static_cast<std::size_t>(duration * 4000 / static_cast<double>(threads)) + 64);
    auto fail = [&res](long ErrorCounts::*kind, const std::string& what) {
      ++(res.errors.*kind);
      if (res.errors.first.empty()) res.errors.first = what;
    };
    while (Clock::now() < deadline) {
      std::size_t i = next.fetch_add(1);
      if (i >= devices.size()) {
        if (mode == Mode::Enroll) break;
        i %= devices.size();
      }
      Device& d = devices[i];
      const auto t0 = Clock::now();
      const int fd = connect_to(addrs[i % addrs.size()]);
      if (fd < 0) {
        fail(&ErrorCounts::connect, std::string("connect: ") + std::strerror(errno));
        continue;
      }
      SslPtr ssl(SSL_new(ctx.get()));
      bool done = false;
      if (!ssl || SSL_set_fd(ssl.get(), fd) != 1 || SSL_use_certificate(ssl.get(), d.cert.get()) != 1 ||
          SSL_use_PrivateKey(ssl.get(), d.key.get()) != 1) {
        fail(&ErrorCounts::handshake, "SSL set-up: " + ossl_error());
      } else if (BIO_set_callback_ex(SSL_get_rbio(ssl.get()), quick_ack ? quickack_before_read : nullptr), false) {
      } else if (SSL_connect(ssl.get()) != 1) {
        fail(&ErrorCounts::handshake, "handshake: " + ossl_error() + " errno " + std::strerror(errno));
      } else if (!write_all(ssl.get(), d.request)) {
        fail(&ErrorCounts::io, "write: " + ossl_error());
      } else if (auto r = read_response(ssl.get()); !r) {
        fail(&ErrorCounts::io, "read: " + ossl_error() + " errno " + std::strerror(errno));
      } else if (r->status != 200) {
        ++res.errors.status[r->status];
        fail(&ErrorCounts::http, "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 300));
      } else if (mode == Mode::Enroll &&
                 (r->body.empty() || lower(r->content_type).find("application/pkcs7-mime") == std::string::npos)) {
        fail(&ErrorCounts::body, "200 with content type '" + r->content_type + "' and " +
                                     std::to_string(r->body.size()) + " bytes");
      } else {
        done = true;
        if (res.ok == 0 && res.first_body.empty()) {
          res.first_body = r->body;
          res.first_body_type = r->content_type;
        }
      }
      if (ssl) {
        SSL_shutdown(ssl.get());  // sends our close_notify; we do not wait for the server's
        ssl.reset();
      }
      ::close(fd);
      const auto t1 = Clock::now();
      if (done) {
        ++res.ok;
        res.latency_ms.push_back(std::chrono::duration<float, std::milli>(t1 - t0).count());
      }
      ERR_clear_error();
    }
  };
  std::vector<std::thread> pool;
  for (auto& r : results) pool.emplace_back(worker, std::ref(r));
  for (auto& t : pool) t.join();
  const auto end = Clock::now();
  const double cpu = cpu_seconds() - cpu0;

  long ok = 0;
  ErrorCounts errors;
  std::vector<float> lat;
  std::string first_body, first_type;
  for (auto& r : results) {
    ok += r.ok;
    errors.connect += r.errors.connect;
    errors.handshake += r.errors.handshake;
    errors.io += r.errors.io;
    errors.http += r.errors.http;
    errors.body += r.errors.body;
    for (const auto& [s, n] : r.errors.status) errors.status[s] += n;
    if (errors.first.empty()) errors.first = r.errors.first;
    lat.insert(lat.end(), r.latency_ms.begin(), r.latency_ms.end());
    if (first_body.empty()) {
      first_body = r.first_body;
      first_type = r.first_body_type;
    }
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&lat](double p) -> double {
    if (lat.empty()) return 0;
    const auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(lat.size() - 1) + 0.5);
    return lat[std::min(idx, lat.size() - 1)];
  };
  // Rate over the whole run (start to the last thread's end), so a tail of slow requests counts.
  const double elapsed = std::chrono::duration<double>(end - start).count();
  const std::size_t used = std::min(next.load(), devices.size());
  if (const std::string save = a.get("save-first"); !save.empty() && !first_body.empty()) write_file(save, first_body);

  std::printf(
      "{\"mode\":\"%s\",\"tls\":\"%s\",\"threads\":%ld,\"ports\":%zu,\"devices_loaded\":%zu,\"load_seconds\":%.2f,"
      "\"first\":%ld,\"used\":%zu,\"ok\":%ld,\"errors\":%ld,\"errors_by_kind\":{\"connect\":%ld,\"handshake\":%ld,"
      "\"io\":%ld,\"http\":%ld,\"body\":%ld},\"status\":{",
      mode_s.c_str(), tls.c_str(), threads, ports.size(), devices.size(), load_s, first, used, ok, errors.total(),
      errors.connect, errors.handshake, errors.io, errors.http, errors.body);
  bool comma = false;
  for (const auto& [s, n] : errors.status) {
    std::printf("%s\"%d\":%ld", comma ? "," : "", s, n);
    comma = true;
  }
  std::printf(
      "},\"elapsed_s\":%.3f,\"rate\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
      "\"client_cpu_s\":%.2f,\"client_cores\":%.2f,\"first_error\":\"%s\",\"first_content_type\":\"%s\"}\n",
      elapsed, elapsed > 0 ? static_cast<double>(ok) / elapsed : 0.0, pct(50), pct(90), pct(99),
      lat.empty() ? 0.0 : static_cast<double>(lat.back()), cpu, elapsed > 0 ? cpu / elapsed : 0.0,
      json_escape(errors.first).c_str(), json_escape(first_type).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: est_enroll_load prepare|run --option value …  (see the top of bench/est_enroll_load.cpp)\n");
    return 2;
  }
  const std::string cmd = argv[1];
  const Args a = parse_args(argc, argv, 2);
  if (cmd == "prepare") return cmd_prepare(a);
  if (cmd == "run") return cmd_run(a);
  die("unknown command " + cmd);
}
