// Paper form of secret bytes: words from a fixed 256-word list (one byte per word) in lines of up
// to six data words followed by two check words.
//
// The two check words of a line make it a codeword of a Reed-Solomon code over GF(2^8) with
// syndromes S1 = sum(c_j) + line number and S2 = sum(c_j * 3^j). Any single wrong word makes
// S1 != 0 and gives its position as log_3(S2 / S1); two words swapped in a line give S1 = 0 and
// S2 != 0; a line copied in the place of another fails S1 (the line number is mixed in). So a
// single wrong word is always detected and located, and a transposition is always detected.
//
//   01  abandon absurd acoustic adapt advice agree  alcohol alpha
//
// Decoding ignores letter case, extra spaces, blank lines, line labels ("01", "1:") and lines
// starting with '#'; a word may be given by its first four letters (they are unique in the list).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::ceremony {

inline constexpr std::size_t kDataWordsPerLine = 6;
inline constexpr std::size_t kCheckWordsPerLine = 2;

/// The 256 words (index = byte value): every 8th word of the BIP-39 English list
/// (src/ceremony/share_wordlist.txt, MIT; see share_wordlist.LICENSE).
const std::array<std::string_view, 256>& share_word_list();

/// Where decoding failed: 1-based line of the word grid and 1-based word in that line (0 when the
/// line as a whole is wrong, e.g. two words swapped), and the 1-based word number overall.
struct WordLocation {
  std::size_t line = 0;
  std::size_t word_in_line = 0;
  std::size_t word = 0;
};

/// The words of `data`, numbered lines ("01  w w w w w w  c c\n"). The text holds the secret:
/// callers wipe it (wipe_string) once printed.
std::string encode_words(ByteView data);

/// Decodes text made by encode_words. InvalidArgument naming the line and word for an unknown
/// word, a checksum failure (a wrong word: located; swapped words: the line), or a short last
/// line; `where` (optional) receives the location.
Result<SecureBytes> decode_words(std::string_view text, WordLocation* where = nullptr);

/// Overwrites a string's characters before it is dropped (for texts holding share words).
void wipe_string(std::string& text);

}  // namespace fleetpki::ceremony
