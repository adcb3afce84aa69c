#include "pki/name_constraints.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "pki/der.h"

namespace fleetpki::pki {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// Address bytes and prefix length of a CIDR.
Result<std::pair<Bytes, int>> parse_cidr(std::string_view cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return fail(Errc::InvalidArgument, "'" + std::string(cidr) + "' is not a CIDR (address/prefix)");
  const std::string addr(cidr.substr(0, slash));
  const std::string prefix_text(cidr.substr(slash + 1));
  Bytes bytes(16);
  int size = 0;
  if (::inet_pton(AF_INET, addr.c_str(), bytes.data()) == 1) {
    size = 4;
  } else if (::inet_pton(AF_INET6, addr.c_str(), bytes.data()) == 1) {
    size = 16;
  } else {
    return fail(Errc::InvalidArgument, "'" + std::string(cidr) + "' is not a CIDR (address/prefix)");
  }
  bytes.resize(static_cast<std::size_t>(size));
  if (prefix_text.empty() || prefix_text.size() > 3 ||
      !std::all_of(prefix_text.begin(), prefix_text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return fail(Errc::InvalidArgument, "'" + std::string(cidr) + "' has a bad prefix length");
  }
  const int prefix = std::stoi(prefix_text);
  if (prefix > size * 8) return fail(Errc::InvalidArgument, "'" + std::string(cidr) + "' has a bad prefix length");
  return std::make_pair(std::move(bytes), prefix);
}

Bytes mask_bytes(int size, int prefix) {
  Bytes mask(static_cast<std::size_t>(size), 0);
  for (int i = 0; i < prefix; ++i) mask[static_cast<std::size_t>(i / 8)] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
  return mask;
}

bool valid_domain(std::string_view d) {
  if (!d.empty() && d.front() == '.') d.remove_prefix(1);
  if (d.empty() || d.size() > 253) return false;
  return std::all_of(d.begin(), d.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

/// dNSName constraint semantics (RFC 5280): "example.com" matches it and its subdomains;
/// ".example.com" only subdomains.
bool dns_within(std::string_view name, std::string_view constraint) {
  const std::string n = lower(name), c = lower(constraint);
  if (!c.empty() && c.front() == '.') return n.size() > c.size() && n.compare(n.size() - c.size(), c.size(), c) == 0;
  if (n == c) return true;
  return n.size() > c.size() && n.compare(n.size() - c.size(), c.size(), c) == 0 && n[n.size() - c.size() - 1] == '.';
}

bool email_within(std::string_view mailbox, std::string_view constraint) {
  const std::string m = lower(mailbox), c = lower(constraint);
  if (c.find('@') != std::string::npos) return m == c;
  const auto at = m.rfind('@');
  if (at == std::string::npos) return false;
  return dns_within(std::string_view(m).substr(at + 1), c);
}

Result<bool> ip_within(std::string_view ip_text, std::string_view cidr) {
  FLEETPKI_TRY(auto range, parse_cidr(cidr));
  Bytes ip(16);
  const std::string text(ip_text);
  int size = 0;
  if (::inet_pton(AF_INET, text.c_str(), ip.data()) == 1) size = 4;
  else if (::inet_pton(AF_INET6, text.c_str(), ip.data()) == 1) size = 16;
  else return false;
  if (size != static_cast<int>(range.first.size())) return false;
  const Bytes mask = mask_bytes(size, range.second);
  for (int i = 0; i < size; ++i) {
    const auto k = static_cast<std::size_t>(i);
    if ((ip[k] & mask[k]) != (range.first[k] & mask[k])) return false;
  }
  return true;
}

Result<Bytes> subtrees(const std::vector<std::string>& dns, const std::vector<std::string>& ips,
                       const std::vector<std::string>& emails) {
  Bytes body;
  auto add = [&body](std::uint8_t general_name_tag, ByteView value) {
    Bytes base = der::tlv(general_name_tag, value);
    der::append_tlv(body, der::tag::kSequence, base);  // GeneralSubtree { base } (minimum 0, no maximum)
  };
  for (const auto& d : dns) {
    if (!valid_domain(d)) return fail(Errc::InvalidArgument, "'" + d + "' is not a DNS domain");
    const std::string l = lower(d);
    add(der::tag::context(2, false), ByteView(reinterpret_cast<const std::uint8_t*>(l.data()), l.size()));
  }
  for (const auto& e : emails) {
    const auto at = e.find('@');
    if (!valid_domain(at == std::string::npos ? std::string_view(e) : std::string_view(e).substr(at + 1))) {
      return fail(Errc::InvalidArgument, "'" + e + "' is not a mailbox or domain");
    }
    add(der::tag::context(1, false), ByteView(reinterpret_cast<const std::uint8_t*>(e.data()), e.size()));
  }
  for (const auto& cidr : ips) {
    FLEETPKI_TRY(auto range, parse_cidr(cidr));
    Bytes octets = range.first;
    const Bytes mask = mask_bytes(static_cast<int>(octets.size()), range.second);
    for (std::size_t i = 0; i < octets.size(); ++i) octets[i] &= mask[i];
    octets.insert(octets.end(), mask.begin(), mask.end());  // iPAddress: address then mask
    add(der::tag::context(7, false), octets);
  }
  return body;
}

}  // namespace

bool NameConstraints::empty() const {
  return permitted_dns.empty() && excluded_dns.empty() && permitted_ip.empty() && excluded_ip.empty() &&
         permitted_email.empty() && excluded_email.empty();
}

Result<Bytes> encode_name_constraints_value(const NameConstraints& nc) {
  if (nc.empty()) return fail(Errc::InvalidArgument, "name constraints need at least one permitted or excluded name");
  FLEETPKI_TRY(Bytes permitted, subtrees(nc.permitted_dns, nc.permitted_ip, nc.permitted_email));
  FLEETPKI_TRY(Bytes excluded, subtrees(nc.excluded_dns, nc.excluded_ip, nc.excluded_email));
  Bytes value;
  if (!permitted.empty()) der::append_tlv(value, der::tag::context(0, true), permitted);
  if (!excluded.empty()) der::append_tlv(value, der::tag::context(1, true), excluded);
  return der::tlv(der::tag::kSequence, value);
}

Result<Bytes> encode_name_constraints_extension(const NameConstraints& nc) {
  FLEETPKI_TRY(Bytes seq, encode_name_constraints_value(nc));
  FLEETPKI_TRY(Bytes id, der::oid(kNameConstraintsOid));
  Bytes ext = id;  // der::oid() returns the whole OBJECT IDENTIFIER TLV
  const std::uint8_t true_value = 0xFF;
  der::append_tlv(ext, der::tag::kBoolean, ByteView(&true_value, 1));
  der::append_tlv(ext, der::tag::kOctetString, seq);
  return der::tlv(der::tag::kSequence, ext);
}

Status check_name_constraints(const NameConstraints& nc, const std::vector<GeneralName>& names) {
  for (const GeneralName& name : names) {
    const std::vector<std::string>* permitted = nullptr;
    const std::vector<std::string>* excluded = nullptr;
    switch (name.type) {
      case GeneralNameType::Dns: permitted = &nc.permitted_dns; excluded = &nc.excluded_dns; break;
      case GeneralNameType::Ip: permitted = &nc.permitted_ip; excluded = &nc.excluded_ip; break;
      case GeneralNameType::Email: permitted = &nc.permitted_email; excluded = &nc.excluded_email; break;
      default: continue;  // URIs and otherNames are not constrained by this CA
    }
    auto within = [&](const std::string& c) -> Result<bool> {
      if (name.type == GeneralNameType::Dns) return dns_within(name.value, c);
      if (name.type == GeneralNameType::Email) return email_within(name.value, c);
      return ip_within(name.value, c);
    };
    for (const auto& c : *excluded) {
      FLEETPKI_TRY(bool hit, within(c));
      if (hit) return fail(Errc::InvalidArgument, "'" + name.value + "' is excluded by the CA's name constraints");
    }
    if (permitted->empty()) continue;
    bool allowed = false;
    for (const auto& c : *permitted) {
      FLEETPKI_TRY(bool hit, within(c));
      allowed = allowed || hit;
    }
    if (!allowed) return fail(Errc::InvalidArgument, "'" + name.value + "' is outside the CA's permitted names");
  }
  return ok();
}

}  // namespace fleetpki::pki
