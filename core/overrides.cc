#include "core/overrides.h"

namespace halo::core {

std::vector<std::string> SplitOverrides(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char ch : text) {
    if (ch == '[' || ch == '{') ++depth;
    if (ch == ']' || ch == '}') --depth;
    if (ch == ',' && depth == 0) {
      if (!current.empty()) out.push_back(current);
      current.clear();
      continue;
    }
    current += ch;
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

}  // namespace halo::core
