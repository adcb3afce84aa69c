// Minimal structured logging to stderr. Never pass secrets (tokens, PINs, keys) to these.
#pragma once

#include <string_view>

namespace fleetpki::log {

enum class Level { Debug, Info, Warn, Error };

void set_level(Level level);
/// True when messages of `level` are written: check it before building an expensive message.
bool enabled(Level level);
void write(Level level, std::string_view message);

inline void info(std::string_view m) { write(Level::Info, m); }
inline void warn(std::string_view m) { write(Level::Warn, m); }
inline void error(std::string_view m) { write(Level::Error, m); }
inline void debug(std::string_view m) { write(Level::Debug, m); }

}  // namespace fleetpki::log
