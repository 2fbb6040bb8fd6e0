#include "gan/core/rng.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

TEST_CASE("Rng state round-trips and resumes the same sequence", "[core][rng]") {
  gan::Rng a(42);
  a.normal();  // leaves a cached second normal
  const std::string s = a.state();
  gan::Rng b(7);
  b.set_state(s);
  for (int i = 0; i < 5; ++i) REQUIRE(a.normal() == b.normal());
  REQUIRE(a.uniform() == b.uniform());
}

TEST_CASE("Rng::set_state refuses a malformed or non-finite state", "[core][rng][errors]") {
  gan::Rng a(1);
  a.normal();
  const std::string good = a.state();
  const std::string words = good.substr(0, good.rfind(' '));  // engine words and has_spare
  gan::Rng b(2);
  const double before = gan::Rng(b).normal();
  // A cached normal of nan or inf would make every later draw of noise non-finite.
  for (const std::string& bad :
       {words + " nan", words + " inf", words + " -inf", words + " 0x1p+9999", words + " 1.5junk",
        good + " extra", words, std::string("12 34"), std::string()}) {
    INFO("'" << bad.substr(bad.size() > 40 ? bad.size() - 40 : 0) << "'");
    REQUIRE_THROWS_WITH(b.set_state(bad), "Rng::set_state: malformed state string");
  }
  REQUIRE(b.normal() == before);  // refused states changed nothing
  b.set_state(good);
  REQUIRE(std::isfinite(b.normal()));
}
