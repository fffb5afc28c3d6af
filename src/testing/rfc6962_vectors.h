// The RFC 6962 reference vectors of transparency-dev/merkle (testonly/constants.go): eight
// leaf inputs and the root of the tree of the first n of them, n = 0..8.
#pragma once

#include <string>
#include <vector>

namespace tuidang::test {

// The eight reference leaf inputs, in order.
std::vector<std::string> ReferenceLeaves();
// kReferenceRoots[n]: hex SHA-256 root of the first n reference leaves (0: the empty tree).
extern const char* const kReferenceRoots[9];

}  // namespace tuidang::test
