#include <gtest/gtest.h>

#include "core/security/service_sid.hpp"

namespace permwatch {
namespace test_service_sid {

// The values Windows gives (`sc showsid NAME`), which any Windows shows.
TEST(ServiceSid, MatchesWindowsForKnownServices) {
    EXPECT_EQ(service_sid_of("TrustedInstaller")->str(),
              "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464");
    // Upper-cased before hashing: the case of the name does not matter.
    EXPECT_EQ(service_sid_of("trustedinstaller"), service_sid_of("TrustedInstaller"));
}

TEST(ServiceSid, ANameThatIsNotAsciiIsNotGuessed) {
    EXPECT_FALSE(service_sid_of("Dienst\xC3\xBC"));
    EXPECT_FALSE(service_sid_of(""));
}

}  // namespace test_service_sid
}  // namespace permwatch
