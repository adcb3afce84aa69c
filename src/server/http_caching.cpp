#include "server/http_caching.h"

#include <array>
#include <chrono>

namespace fleetpki::server {

std::string http_date(TimePoint t) {
  using namespace std::chrono;
  static constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<seconds>(t) - day};
  const auto two = [](std::string& out, long v) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
  };
  std::string out;
  out.reserve(29);
  out += kDays[weekday{day}.c_encoding()];
  out += ", ";
  two(out, static_cast<long>(static_cast<unsigned>(ymd.day())));
  out += ' ';
  out += kMonths[static_cast<unsigned>(ymd.month()) - 1];
  out += ' ';
  const long year = static_cast<int>(ymd.year());
  two(out, year / 100);
  two(out, year);
  out += ' ';
  two(out, static_cast<long>(hms.hours().count()));
  out += ':';
  two(out, static_cast<long>(hms.minutes().count()));
  out += ':';
  two(out, static_cast<long>(hms.seconds().count()));
  out += " GMT";
  return out;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace fleetpki::server
