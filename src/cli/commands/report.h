// One-line error reporting for commands.
#pragma once

#include <iostream>

#include "cli/commands/commands.h"
#include "common/error.h"

namespace fleetpki::cli {

inline int report_failure(const Error& error) {
  std::cerr << "fleetpki: " << error.message << "\n";
  return kExitFailure;
}

}  // namespace fleetpki::cli
