// Assertions (Envoy's table): FLEETPKI_ASSERT is debug-only, FLEETPKI_CHECK always on and fatal.
// Never assert on outside input: that is an Error.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FLEETPKI_CHECK(cond, why)                                                        \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "fatal: %s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, \
                   #cond, why);                                                          \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

#ifndef NDEBUG
#define FLEETPKI_ASSERT(cond, why) FLEETPKI_CHECK(cond, why)
#else
#define FLEETPKI_ASSERT(cond, why) ((void)0)
#endif
