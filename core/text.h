// Text helpers every layer shares: the "did you mean" hint of every error
// that names an unknown key, CSV fields, joining and splitting lines.
#pragma once

#include <string>
#include <vector>

namespace genbench {

// The closest name by edit distance, or "" when nothing is close.
std::string nearest_name(const std::string& name, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" for the nearest candidate, or "" when nothing is close.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

std::string join(const std::vector<std::string>& parts, const std::string& separator);
// The non-empty lines of a text.
std::vector<std::string> split_lines(const std::string& text);

// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text);
// One CSV line into its fields, the inverse of csv_field on each.
std::vector<std::string> split_csv_line(const std::string& line);

// A name that is safe as part of a file name: letters, digits, '_', '-' and
// '.', not starting with '.', at most 200 characters (no '/', no "..").
bool is_plain_name(const std::string& name);

}  // namespace genbench
