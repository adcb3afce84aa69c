// The ceremony transcript: JSON lines, one record per step, each chained to the previous line by
// SHA-256 and signed by the root key, so a record removed, altered or inserted later is found.
//
// A record (keys sorted, one line):
//   {"operation":"sign-intermediate","operators":["alice","bob"],"outputs":{"ica.pem":"<sha256>"},
//    "parameters":{...},"prev":"<sha256 hex of the previous line, 64 zeros for the first>",
//    "seq":3,"signature":"<hex>","time":"2026-11-22T07:30:00Z"}
// The signature covers the record serialized the same way without "signature".
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "keys/signer.h"
#include "pki/certificate.h"
#include "pki/crypto_context.h"

namespace fleetpki::ceremony {

/// What one step records. Parameters are strings or numbers as text; never secrets.
struct TranscriptEntry {
  std::string operation;
  std::vector<std::string> operators;
  std::map<std::string, std::string> parameters;
  std::map<std::string, std::string> outputs;  // file name -> SHA-256 hex
};

/// SHA-256 hex of a file's bytes.
Result<std::string> file_sha256(const pki::CryptoContext& ctx, const std::filesystem::path& file);

/// Appends one signed record to `transcript` (created if missing; fsynced). The previous line is
/// read to chain to it; a transcript whose last line does not parse is refused (DataLoss).
Status append_transcript(const pki::CryptoContext& ctx, const Clock& clock,
                         const std::filesystem::path& transcript, const keys::Signer& root_key,
                         const TranscriptEntry& entry);

/// The outcome of a verification: a value, not an error (a broken transcript is an answer).
struct TranscriptVerdict {
  bool intact = false;
  std::size_t records = 0;    // records checked (all when intact)
  std::size_t first_bad = 0;  // 1-based record (= line) number when not intact
  std::string reason;         // why that record is bad
};

/// Checks every record: it parses, its seq is its line number, "prev" is the SHA-256 of the line
/// before, and the root certificate's key verifies its signature. Errors only for I/O.
Result<TranscriptVerdict> verify_transcript(const pki::CryptoContext& ctx,
                                            const std::filesystem::path& transcript,
                                            const pki::Certificate& root);

}  // namespace fleetpki::ceremony
