// What every genbench CLI shares about its command line (CLI11): `--help`
// prints the usage and exits 0; a usage error is one line
// "prog: message (see prog --help)" and exit 2, as bad input is everywhere.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/text.h"

namespace genbench::cli {

// A repeatable option taking one value per occurrence: `--set a=1 FILE --set b=2`.
inline CLI::Option* repeatable(CLI::Option* option) { return option->allow_extra_args(false); }

// An integer in [lo, hi], with the project's wording for what was found.
inline CLI::Validator int_range(long lo, long hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        char* end = nullptr;
        long n = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end || n < lo || n > hi)
          return "expected a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", found '" + text + "'";
        return "";
      },
      "INT in [" + std::to_string(lo) + " - " + std::to_string(hi) + "]");
}

// A number > 0.
inline CLI::Validator positive_seconds() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end || !(v > 0)) return "expected seconds > 0, found '" + text + "'";
        return "";
      },
      "SECONDS > 0");
}

// Parses; nullopt to go on, else the exit code (0 after --help, 2 after a usage error).
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  const auto name = app.get_name();
  auto usage_error = [&](const std::string& message) {
    std::cerr << name << ": " << message << " (see " << name << " --help)\n";
    return 2;
  };
  app.allow_extras();  // reported below, in our words
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }
  auto extras = app.remaining();
  if (extras.empty()) return std::nullopt;
  const auto& first = extras.front();
  if (first.rfind("-", 0) == 0 && first.size() > 1) {
    std::vector<std::string> names;
    for (const auto* option : app.get_options())
      for (const auto& long_name : option->get_lnames()) names.push_back("--" + long_name);
    return usage_error("unknown option " + first + did_you_mean(first, names));
  }
  return usage_error("unexpected argument '" + first + "'");
}

}  // namespace genbench::cli
