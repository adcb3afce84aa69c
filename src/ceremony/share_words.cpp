// Share words: byte <-> word mapping and the per-line Reed-Solomon check words.
#include "ceremony/share_words.h"

#include <openssl/crypto.h>

#include <cctype>
#include <vector>

#include "ceremony/shamir.h"

namespace fleetpki::ceremony {
namespace {

constexpr std::array<std::string_view, 256> kWords = {
#include "ceremony/share_wordlist.inc"
};

constexpr std::uint8_t kGenerator = 0x03;  // generates GF(2^8)* under 0x11b
constexpr std::size_t kWordsPerLine = kDataWordsPerLine + kCheckWordsPerLine;

std::uint8_t gf_pow(std::uint8_t base, std::size_t exponent) {
  std::uint8_t result = 1;
  for (std::size_t i = 0; i < exponent; ++i) result = gf_mul(result, base);
  return result;
}

/// Line numbers enter S1 as one byte: lines 1..255 (a 4096-byte secret needs ~685 lines, so the
/// number is taken mod 255 and never 0).
std::uint8_t line_tag(std::size_t line) {
  return static_cast<std::uint8_t>((line - 1) % 255 + 1);
}

/// The two check bytes of a line of `data` (1..6 bytes) with 1-based number `line`.
std::array<std::uint8_t, 2> check_bytes(const std::uint8_t* data, std::size_t n, std::size_t line) {
  // Want sum(c_j) = tag and sum(c_j g^j) = 0 over j = 0..n+1, with c_n, c_{n+1} the checks:
  //   c_n + c_{n+1} = A := tag + sum(d_j);  g^n c_n + g^{n+1} c_{n+1} = B := sum(d_j g^j).
  std::uint8_t a = line_tag(line), b = 0;
  for (std::size_t j = 0; j < n; ++j) {
    a ^= data[j];
    b ^= gf_mul(data[j], gf_pow(kGenerator, j));
  }
  std::uint8_t gn = gf_pow(kGenerator, n), gn1 = gf_pow(kGenerator, n + 1);
  std::uint8_t c0 = gf_mul(static_cast<std::uint8_t>(b ^ gf_mul(gn1, a)),
                           gf_inv(static_cast<std::uint8_t>(gn ^ gn1)));
  return {c0, static_cast<std::uint8_t>(a ^ c0)};
}

/// Index of `token` (already lower case) in the list: the whole word, or its first four letters
/// when the token has at least four letters. Scans every word (no early exit on secret data).
int word_index(std::string_view token) {
  int found = -1;
  for (std::size_t i = 0; i < kWords.size(); ++i) {
    std::string_view word = kWords[i];
    bool whole = token == word;
    bool prefix =
        token.size() >= 4 && token.size() <= word.size() && word.substr(0, token.size()) == token;
    int hit = (whole || prefix) ? 1 : 0;
    found = hit ? static_cast<int>(i) : found;
  }
  return found;
}

bool is_label(std::string_view token) {
  std::size_t digits = 0;
  while (digits < token.size() && std::isdigit(static_cast<unsigned char>(token[digits]))) ++digits;
  if (digits == 0) return false;
  std::string_view rest = token.substr(digits);
  return rest.empty() || rest == ":" || rest == ".";
}

}  // namespace

const std::array<std::string_view, 256>& share_word_list() {
  return kWords;
}

void wipe_string(std::string& text) {
  if (!text.empty()) ::OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

std::string encode_words(ByteView data) {
  std::string out;
  // Reserved once (<= 8 words of <= 8 letters, spaces and a label per line): the text is never
  // reallocated, so no unwiped copy of the words is left in freed memory.
  out.reserve((data.size() / kDataWordsPerLine + 1) * 96);
  std::size_t line = 0;
  for (std::size_t offset = 0; offset < data.size(); offset += kDataWordsPerLine) {
    ++line;
    std::size_t n = std::min(kDataWordsPerLine, data.size() - offset);
    if (line < 10) out += '0';
    out += std::to_string(line);
    out += ' ';
    for (std::size_t j = 0; j < n; ++j) {
      out += ' ';
      out += kWords[data[offset + j]];
    }
    auto checks = check_bytes(data.data() + offset, n, line);
    out += "  ";
    out += kWords[checks[0]];
    out += ' ';
    out += kWords[checks[1]];
    out += '\n';
  }
  return out;
}

Result<SecureBytes> decode_words(std::string_view text, WordLocation* where) {
  // Collect word indexes; remember for each where it came from for messages.
  std::vector<std::uint8_t> values;
  struct Wiper {
    std::vector<std::uint8_t>& v;
    ~Wiper() {
      if (!v.empty()) ::OPENSSL_cleanse(v.data(), v.size());
    }
  } wiper{values};
  values.reserve(text.size());  // never reallocated: no unwiped copy left behind
  auto locate = [&](std::size_t word_index_0) {
    WordLocation loc;
    loc.word = word_index_0 + 1;
    loc.line = word_index_0 / kWordsPerLine + 1;
    loc.word_in_line = word_index_0 % kWordsPerLine + 1;
    return loc;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    std::size_t i = 0;
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i < line.size() && line[i] == '#') continue;
    bool first_token = true;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      std::size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      if (start == i) break;
      std::string token(line.substr(start, i - start));
      for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (first_token && is_label(token)) {
        first_token = false;
        continue;
      }
      first_token = false;
      int index = word_index(token);
      wipe_string(token);
      if (index < 0) {
        WordLocation loc = locate(values.size());
        if (where) *where = loc;
        return fail(Errc::InvalidArgument, "line " + std::to_string(loc.line) + ", word " +
                                               std::to_string(loc.word_in_line) + " (word " +
                                               std::to_string(loc.word) +
                                               ") is not in the word list");
      }
      values.push_back(static_cast<std::uint8_t>(index));
    }
  }
  if (values.empty()) {
    return fail(Errc::InvalidArgument, "no share words given");
  }
  std::vector<std::uint8_t> out;
  struct OutWiper {
    std::vector<std::uint8_t>& v;
    ~OutWiper() {
      if (!v.empty()) ::OPENSSL_cleanse(v.data(), v.size());
    }
  } out_wiper{out};
  out.reserve(values.size());
  for (std::size_t start = 0, line = 1; start < values.size(); start += kWordsPerLine, ++line) {
    std::size_t count = std::min(kWordsPerLine, values.size() - start);
    if (count < kCheckWordsPerLine + 1) {
      WordLocation loc = locate(start);
      loc.word_in_line = 0;
      if (where) *where = loc;
      return fail(Errc::InvalidArgument,
                  "line " + std::to_string(line) + " is too short: a word is missing or extra");
    }
    const std::uint8_t* c = values.data() + start;
    // Syndromes over the whole line (data and checks).
    std::uint8_t s1 = line_tag(line), s2 = 0;
    for (std::size_t j = 0; j < count; ++j) {
      s1 ^= c[j];
      s2 ^= gf_mul(c[j], gf_pow(kGenerator, j));
    }
    if (s1 != 0 || s2 != 0) {
      WordLocation loc = locate(start);
      loc.word_in_line = 0;
      std::string what;
      if (s1 != 0 && s2 != 0) {
        // One wrong word at position p: S1 = e, S2 = e g^p.
        std::uint8_t ratio = gf_mul(s2, gf_inv(s1));
        for (std::size_t p = 0; p < count; ++p) {
          if (gf_pow(kGenerator, p) == ratio) {
            loc = locate(start + p);
            break;
          }
        }
      }
      if (where) *where = loc;
      if (loc.word_in_line != 0) {
        what = "word " + std::to_string(loc.word_in_line) + " (word " + std::to_string(loc.word) +
               ") is wrong";
      } else if (s1 == 0) {
        what = "two words are swapped or several are wrong";
      } else {
        what = "several words are wrong, or a line is missing or repeated";
      }
      return fail(Errc::InvalidArgument,
                  "check words of line " + std::to_string(loc.line) + " do not match: " + what);
    }
    out.insert(out.end(), c, c + (count - kCheckWordsPerLine));
  }
  return SecureBytes(ByteView(out));
}

}  // namespace fleetpki::ceremony
