// Share words: the list, round trips, tolerant decoding, and detection of wrong, swapped and
// missing words with their position.
#include "ceremony/share_words.h"

#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <set>
#include <sstream>
#include <vector>

namespace fleetpki::ceremony {
namespace {

Bytes random_bytes(std::size_t size) {
  Bytes data(size);
  EXPECT_EQ(::RAND_bytes(data.data(), static_cast<int>(size)), 1);
  return data;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream tokens(line);
    std::string token;
    bool first = true;
    while (tokens >> token) {
      if (!first) words.push_back(token);
      first = false;
    }
  }
  return words;
}

std::string join_lines(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += words[i];
    out += (i % 8 == 7) ? '\n' : ' ';
  }
  return out;
}

bool same(const SecureBytes& a, const Bytes& b) {
  return a.size() == b.size() && std::equal(b.begin(), b.end(), a.data());
}

TEST(ShareWords, ListHas256WordsUniqueInTheirFirstFourLetters) {
  const auto& words = share_word_list();
  std::set<std::string_view> prefixes;
  for (std::string_view w : words) {
    EXPECT_GE(w.size(), 3u);
    prefixes.insert(w.substr(0, 4));
  }
  EXPECT_EQ(prefixes.size(), 256u);
  EXPECT_EQ(words.front(), "abandon");
}

TEST(ShareWords, RoundTripsEveryLength) {
  for (std::size_t size : {1u, 5u, 6u, 7u, 12u, 45u, 61u, 300u}) {
    Bytes data = random_bytes(size);
    std::string text = encode_words(data);
    auto decoded = decode_words(text);
    ASSERT_TRUE(decoded) << size << ": " << decoded.error().message;
    EXPECT_TRUE(same(*decoded, data));
  }
}

TEST(ShareWords, DecodingToleratesCaseSpacesLabelsCommentsAndPrefixes) {
  Bytes data = random_bytes(20);
  std::string text = encode_words(data);
  std::string messy = "# share 1 of 3\n\n";
  for (const std::string& w : split_words(text)) {
    std::string word = w;
    if (word.size() > 5) word = word.substr(0, 4);  // a four-letter prefix
    word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    messy += "   " + word + "\t ";
  }
  messy += "\n\n";
  auto decoded = decode_words(messy);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(same(*decoded, data));
}

TEST(ShareWords, EverySingleWrongWordIsDetectedAndLocated) {
  Bytes data = random_bytes(45);
  auto words = split_words(encode_words(data));
  const auto& list = share_word_list();
  for (std::size_t position = 0; position < words.size(); ++position) {
    for (std::size_t shift : {1u, 77u, 255u}) {
      auto changed = words;
      std::size_t index = 0;
      while (list[index] != words[position]) ++index;
      changed[position] = std::string(list[(index + shift) % 256]);
      WordLocation where;
      auto decoded = decode_words(join_lines(changed), &where);
      ASSERT_FALSE(decoded) << "position " << position;
      EXPECT_EQ(where.word, position + 1);
      EXPECT_EQ(where.line, position / 8 + 1);
      EXPECT_EQ(where.word_in_line, position % 8 + 1);
      EXPECT_NE(decoded.error().message.find("line " + std::to_string(position / 8 + 1)),
                std::string::npos)
          << decoded.error().message;
    }
  }
}

TEST(ShareWords, SwappedWordsAreDetected) {
  Bytes data = random_bytes(45);
  auto words = split_words(encode_words(data));
  int swaps = 0;
  for (std::size_t a = 0; a < words.size(); ++a) {
    for (std::size_t b = a + 1; b < words.size() && b / 8 == a / 8; ++b) {
      if (words[a] == words[b]) continue;
      auto swapped = words;
      std::swap(swapped[a], swapped[b]);
      WordLocation where;
      auto decoded = decode_words(join_lines(swapped), &where);
      ASSERT_FALSE(decoded) << a << " <-> " << b;
      EXPECT_EQ(where.line, a / 8 + 1);
      ++swaps;
    }
  }
  EXPECT_GT(swaps, 100);
  // Two whole lines exchanged.
  auto lines_swapped = words;
  std::swap_ranges(lines_swapped.begin(), lines_swapped.begin() + 8, lines_swapped.begin() + 8);
  EXPECT_FALSE(decode_words(join_lines(lines_swapped)));
}

TEST(ShareWords, UnknownMissingAndExtraWordsAreReported) {
  Bytes data = random_bytes(30);
  auto words = split_words(encode_words(data));
  auto unknown = words;
  unknown[10] = "zzzzz";
  WordLocation where;
  auto decoded = decode_words(join_lines(unknown), &where);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(where.word, 11u);
  EXPECT_NE(decoded.error().message.find("not in the word list"), std::string::npos);

  auto missing = words;
  missing.erase(missing.begin() + 3);
  EXPECT_FALSE(decode_words(join_lines(missing)));
  auto extra = words;
  extra.insert(extra.begin() + 3, words[0]);
  EXPECT_FALSE(decode_words(join_lines(extra)));
  EXPECT_FALSE(decode_words("   \n# nothing\n"));
}

}  // namespace
}  // namespace fleetpki::ceremony
