// `--set` on the command line of halo-train and halo-launch: "k=v,k2=[1,2],k3={a: 1}" split into
// "key=value" entries at top-level commas (brackets and braces keep theirs; empty entries are
// dropped). Each tool then parses the values as YAML against its own keys.
#pragma once
#include <string>
#include <vector>

namespace halo::core {

std::vector<std::string> SplitOverrides(const std::string& text);

}  // namespace halo::core
