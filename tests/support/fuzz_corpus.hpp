#pragma once
// The seed corpora of the fuzzers (tests/fuzz/corpus/NAME/), which the test suite replays so that
// every test run, under the sanitizers too, checks the inputs the fuzzers once found.

#include <map>
#include <string>

namespace tessera::test {

/// Every input of fuzzer `name`'s corpus: its file name to its contents, in file name order.
std::map<std::string, std::string> fuzz_corpus(const std::string& name);

}  // namespace tessera::test
