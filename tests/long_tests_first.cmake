# Read by ctest after the tests catch_discover_tests found (tests/CMakeLists.txt).
set_tests_properties(
  "genbench:every claim of the grokking ci tier holds"
  PROPERTIES COST 3000)
set_tests_properties(
  "genbench:every claim of the robust-overfitting ci tier holds and a collapse masks the gradient"
  PROPERTIES COST 2000)
