// The error of every input file and flag a user writes (suite files,
// tolerance files, --set, --filter): one line "file:line:col: key: message".
// Each layer above has its own type for its own failures (ResultsError in
// results/, TaskError in tasks/).
#pragma once

#include <stdexcept>

namespace genbench {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace genbench
