// X.509 Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ through 2049, GeneralizedTime
// YYYYMMDDHHMMSSZ from 2050; seconds always present, always Z, no fractions.
#include "pki/asn1_time.h"

#include <chrono>

#include "pki/der.h"

namespace fleetpki::pki {
namespace {

void put_digits(char*& p, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  p += width;
}

bool read_digits(std::string_view s, std::size_t pos, std::size_t width, unsigned& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

}  // namespace

Result<Bytes> encode_time(TimePoint t) {
  using namespace std::chrono;
  constexpr std::int64_t k1950Unix = -631152000;  // 1950-01-01T00:00:00Z
  if (to_unix(t) < k1950Unix || to_unix(t) > kNoExpiryUnix) {
    return fail(Errc::InvalidArgument, "time outside the X.509 range 1950..9999");
  }
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  const int y = static_cast<int>(ymd.year());
  if (y < 1950 || y > 9999) {
    return fail(Errc::InvalidArgument, "time outside the X.509 range 1950..9999");
  }
  const bool utc = y <= 2049;
  char buf[15];
  char* p = buf;
  if (utc) {
    put_digits(p, static_cast<unsigned>(y % 100), 2);
  } else {
    put_digits(p, static_cast<unsigned>(y), 4);
  }
  put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  put_digits(p, static_cast<unsigned>(hms.hours().count()), 2);
  put_digits(p, static_cast<unsigned>(hms.minutes().count()), 2);
  put_digits(p, static_cast<unsigned>(hms.seconds().count()), 2);
  *p++ = 'Z';
  return der::tlv(utc ? der::tag::kUtcTime : der::tag::kGeneralizedTime,
                  as_bytes(std::string_view(buf, static_cast<std::size_t>(p - buf))));
}

Result<TimePoint> decode_time(ByteView element) {
  using namespace std::chrono;
  der::Reader r(element);
  FLEETPKI_TRY(der::Element e, r.next());
  FLEETPKI_RETURN_IF_ERROR(r.expect_end("Time"));
  const std::string_view s = as_chars(e.content);
  std::size_t pos = 0;
  unsigned year = 0;
  if (e.tag == der::tag::kUtcTime && s.size() == 13) {
    if (!read_digits(s, 0, 2, year)) {
      return fail(Errc::InvalidArgument, "malformed UTCTime");
    }
    year += year >= 50 ? 1900 : 2000;  // RFC 5280 §4.1.2.5.1
    pos = 2;
  } else if (e.tag == der::tag::kGeneralizedTime && s.size() == 15) {
    if (!read_digits(s, 0, 4, year)) {
      return fail(Errc::InvalidArgument, "malformed GeneralizedTime");
    }
    pos = 4;
  } else {
    return fail(Errc::InvalidArgument,
                "Time must be UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ");
  }
  unsigned mon = 0, mday = 0, hour = 0, min = 0, sec = 0;
  if (!read_digits(s, pos, 2, mon) || !read_digits(s, pos + 2, 2, mday) ||
      !read_digits(s, pos + 4, 2, hour) || !read_digits(s, pos + 6, 2, min) ||
      !read_digits(s, pos + 8, 2, sec) || s[pos + 10] != 'Z') {
    return fail(Errc::InvalidArgument, "malformed Time");
  }
  const year_month_day ymd{std::chrono::year(static_cast<int>(year)), month(mon), day(mday)};
  if (!ymd.ok() || hour > 23 || min > 59 || sec > 59) {
    return fail(Errc::InvalidArgument, "Time has an out-of-range field");
  }
  return TimePoint(sys_days(ymd)) + hours(hour) + minutes(min) + seconds(sec);
}

}  // namespace fleetpki::pki
